import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithoutTool } from '../support/required-tool.js';
import { ROOT } from './build-once.js';
import { CountdProcess } from './support/countd-process.js';
import { runCountd } from './support/countd-run.js';
import type { E2eStack } from './support/e2e-stack.js';
import { useE2eStack } from './support/use-e2e-stack.js';

// Debian's chromium, never a browser download (playwright-core ships none).
const CHROMIUM = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim();
const SKIP = skipWithoutTool(
  CHROMIUM === '' ? 'chromium not found' : undefined,
  'the web page in a real browser',
  'apt-get install -y chromium',
);
const XSS = '<img src=x onerror=alert(1)>';
const MINUTE = 60_000;
/** Where the screenshot goes (gitignored): a look at what the test saw. */
const SCREENSHOT = join(ROOT, 'test-results', 'ui-browser.png');

describe.skipIf(SKIP)('countd ui in headless chromium, against a running stack', () => {
  const e2e = useE2eStack();
  let stack: E2eStack;
  let env: Record<string, string>;
  let ui: CountdProcess;
  let url: string;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  // The minute the test starts in: increments sent --at earlier minutes land in known buckets.
  const t0 = Date.now();
  const thisMinute = Math.floor(t0 / MINUTE) * MINUTE;

  beforeAll(async () => {
    stack = e2e.createForSuite('ui', { COUNTD_ROLLUPS: 'minute:48h,hour:35d,day:400d' });
    env = { PATH: process.env.PATH ?? '', ...stack.workerEnv() };
    await stack.startWorker('w1');
    ui = CountdProcess.start('ui', ['ui'], { ...env, COUNTD_UI_PORT: '0' }, 60_000);
    url = await new Promise<string>((resolve, reject) => {
      ui.onLine((line) => {
        const found = /^countd ui: (http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1];
        if (found !== undefined) resolve(found);
      });
      void ui.exited.then((exit) => reject(new Error(`countd ui exited: ${exit.stderr}`)));
    });
    const sends: Array<[string, string, number?]> = [
      ['shop:apples', '5'],
      ['shop:apples', '3', thisMinute - 3 * MINUTE + 7000],
      ['shop:apples', '4', thisMinute - 10 * MINUTE],
      ['shop:pears', '2'],
      ['other:x', '1'],
      [XSS, '6'],
    ];
    for (const [name, by, at] of sends) {
      const args = ['incr', '--', name, by];
      if (at !== undefined) args.splice(1, 0, '--at', String(at));
      const run = await runCountd(args, { env });
      expect(run.code, `${args.join(' ')}: ${run.output}`).toBe(0);
    }
    await stack.waitForDrain(20_000);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in CI: chromium's sandbox needs a user namespace it may not get; /dev/shm is small.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    // Without the page's CSP: the test's probes are evaluated strings, and the markup-named
    // counter must be harmless through textContent alone, not only because CSP blocks scripts.
    page = await browser.newPage({ viewport: { width: 1200, height: 800 }, bypassCSP: true });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  }, 60_000);

  afterAll(async () => {
    if (page !== undefined) {
      mkdirSync(join(ROOT, 'test-results'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true }).catch(() => undefined);
      console.log(`ui-browser: screenshot in ${SCREENSHOT}`);
    }
    await browser?.close();
    ui?.signal('SIGTERM');
    const exit = await ui?.exited;
    expect(exit?.code, exit?.stderr).toBe(0);
  });

  // The page's own state, read in the browser: the expressions are strings since this
  // project's types have no DOM (Node code only).
  const ROWS = `[...document.querySelectorAll('#counters tbody tr')]`;
  const BARS = `document.querySelectorAll('#series rect.bar')`;
  /** Name → value text of the rows the page shows. */
  const rows = () =>
    page.evaluate(
      `${ROWS}.map((tr) => [tr.querySelector('.name').textContent, tr.querySelector('.value').textContent])`,
    ) as Promise<Array<[string, string]>>;
  /** [bucket start, value] of every bar of the chart. */
  const bars = () =>
    page.evaluate(`[...${BARS}].map((r) => [Number(r.dataset.start), r.dataset.value])`) as Promise<
      Array<[number, string]>
    >;
  const waitFor = (expression: string, timeout = 10_000) =>
    page.waitForFunction(expression, undefined, { timeout });
  const valueOf = (name: string) =>
    `${ROWS}.find((tr) => tr.dataset.name === ${JSON.stringify(name)})?.querySelector('.value').textContent`;

  it('loads, and a search shows the counters matching', async () => {
    await page.goto(`${url}/`);
    await page.fill('#glob', 'shop:*');
    await page.click('#search button');
    await waitFor(`${ROWS}.length === 2`);
    expect(await rows()).toEqual([
      ['shop:apples', '12'],
      ['shop:pears', '2'],
    ]);
    await waitFor(`document.getElementById('status').textContent.startsWith('live')`);
  });

  it('shows an increment sent with countd incr within 2 s, without a reload', async () => {
    const run = await runCountd(['incr', 'shop:apples', '10'], { env });
    expect(run.code).toBe(0);
    const sent = performance.now();
    await waitFor(`${valueOf('shop:apples')} === '22'`, 2000);
    console.log(
      `ui-browser: the increment showed ${Math.round(performance.now() - sent)} ms after countd incr exited`,
    );
    // A counter created now appears in the search it matches, live as well.
    await runCountd(['incr', 'shop:plums', '1'], { env });
    await waitFor(`${ROWS}.length === 3`, 2000);
  });

  it('charts the selected counter with one bar per bucket, values where they were sent', async () => {
    await page.click('#counters tbody tr[data-name="shop:apples"]');
    // Minutes over the last hour: 60 bars, the last one the minute now is in.
    await waitFor(`${BARS}.length === 60`);
    const minutes = await bars();
    expect(minutes).toHaveLength(60);
    const at = new Map(minutes);
    expect(at.get(thisMinute - 3 * MINUTE)).toBe('3');
    expect(at.get(thisMinute - 10 * MINUTE)).toBe('4');
    expect(minutes.reduce((sum, [, v]) => sum + Number(v), 0)).toBe(22);
    await page.selectOption('#step', 'hour');
    await waitFor(`${BARS}.length === 24`);
    await page.selectOption('#step', 'day');
    await page.selectOption('#since', '90d');
    await waitFor(`${BARS}.length === 90`);
    const days = await bars();
    expect(days.reduce((sum, [, v]) => sum + Number(v), 0)).toBe(22);
    expect(await page.textContent('#chart-title')).toBe('shop:apples');
  });

  it('renders a counter named like markup as text: no img element, no dialog', async () => {
    await page.fill('#glob', '<img*');
    await page.click('#search button');
    await waitFor(`${ROWS}.length === 1`);
    expect(await rows()).toEqual([[XSS, '6']]);
    await page.click('#counters tbody tr');
    await waitFor(`${BARS}.length > 0`);
    expect(await page.textContent('#chart-title')).toBe(XSS);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('[onerror]').count()).toBe(0);
    // The page's address keeps the search and the selection: a reload shows the same.
    await page.reload();
    await waitFor(`${BARS}.length > 0 && ${ROWS}.length === 1`);
    expect(await page.inputValue('#glob')).toBe('<img*');
    expect(await rows()).toEqual([[XSS, '6']]);
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });
});
