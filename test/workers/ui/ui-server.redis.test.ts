import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CounterReader, type ReaderNode } from '../../../src/reader/index.js';
import { parseRollups } from '../../../src/rollups/index.js';
import { HashRing } from '../../../src/ring/index.js';
import { StorageLayout } from '../../../src/storage/index.js';
import { startUiServer, type UiServer } from '../../../workers/ui/ui-server.js';
import { uniquePrefix, useRedisServers } from '../../support/redis-harness.js';

const IDS = ['a', 'b'];
const BUCKETS = 16;
const XSS = '<img src=x onerror=alert(1)>';
// 2024-06-01T12:30:00Z: a fixed clock, so the buckets a series reads are known.
const NOW = Date.UTC(2024, 5, 1, 12, 30, 10);
const MINUTE = 60_000;

describe('countd ui server: the page, its API and live values', () => {
  const redis = useRedisServers({ count: 2 });
  const prefix = uniquePrefix('ui');
  const ring = new HashRing(IDS.map((id) => ({ id, weight: 1 })));
  const layout = new StorageLayout(ring, prefix, BUCKETS);
  let reader: CounterReader<'bigint'>;
  let server: UiServer;

  beforeAll(async () => {
    const nodes: ReaderNode[] = IDS.map((id, i) => ({
      id,
      connection: { host: redis.server(i).host, port: redis.server(i).port },
    }));
    reader = new CounterReader({
      nodes,
      ring,
      prefix,
      buckets: BUCKETS,
      values: 'bigint',
      rollups: parseRollups('minute:48h,hour:35d', 'test'),
    });
    for (const [name, value] of [
      ['page:home', 12n],
      ['page:about', 3n],
      ['cart:add', -2n],
      [XSS, 7n],
      ['big', 9_223_372_036_854_775_807n],
    ] as const)
      await reader.set(name, value);
    server = await startUiServer({
      reader,
      series: (name, range) => reader.getSeries(name, range),
      steps: ['minute', 'hour'],
      host: '127.0.0.1',
      port: 0,
      now: () => NOW,
    });
  });
  afterAll(async () => {
    await server?.close();
    await reader?.close();
  });

  const get = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);
  const errorOf = async (path: string) => {
    const response = await get(path);
    return { status: response.status, error: ((await response.json()) as { error: string }).error };
  };

  it('serves the page and its files with a policy that runs only its own script', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="app.js"></script>');
    const script = await get('/app.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).not.toContain('innerHTML');
    expect((await get('/style.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await get('/../package.json')).status).toBe(404);
    expect((await get('/nothing.html')).status).toBe(404);
  });

  it('lists the counters matching a glob, sorted, exact values as strings', async () => {
    const response = await get(`/api/counters?glob=${encodeURIComponent('page:*')}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      glob: 'page:*',
      counters: [
        ['page:about', '3'],
        ['page:home', '12'],
      ],
      more: false,
    });
    const all = (await (await get('/api/counters?glob=*')).json()) as {
      counters: Array<[string, string]>;
    };
    expect(all.counters).toContainEqual([XSS, '7']);
    expect(all.counters).toContainEqual(['big', '9223372036854775807']);
    expect(all.counters).toContainEqual(['cart:add', '-2']);
    const limited = (await (await get('/api/counters?glob=*&limit=2')).json()) as {
      counters: unknown[];
      more: boolean;
    };
    expect(limited.counters).toHaveLength(2);
    expect(limited.more).toBe(true);
  });

  it('refuses bad input with a 400 naming the parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/api/counters', /^glob is required/],
      ['/api/counters?glob=', /^glob must not be empty/],
      [`/api/counters?glob=${'x'.repeat(1025)}`, /^glob is longer than 1024 bytes/],
      ['/api/counters?glob=a&glob=b', /^glob is given 2 times/],
      ['/api/counters?glob=*&limit=0', /^limit must be an integer from 1 to 1000/],
      ['/api/counters?glob=*&limit=1e3', /^limit must be an integer/],
      ['/api/watch', /^glob is required/],
      [`/api/watch?glob=${'é'.repeat(513)}`, /^glob is longer than 1024 bytes/],
      ['/api/series?step=minute', /^name is required/],
      ['/api/series?name=a%09b', /^name /],
      ['/api/series?name=a&step=week', /^step must be one of minute, hour, day/],
      ['/api/series?name=a&step=day', /^step day is not kept here \(rollups: minute, hour\)/],
      ['/api/series?name=a&since=abc', /^since: "abc" is not a duration/],
      ['/api/series?name=a&since=0m', /^since: "0m" is not a positive duration/],
      ['/api/series?name=a&step=minute&since=7d', /makes 10080 minute buckets, more than 10000/],
    ];
    for (const [path, form] of cases) {
      const { status, error } = await errorOf(path);
      expect({ path, status }).toEqual({ path, status: 400 });
      expect(error, path).toMatch(form);
    }
    expect((await errorOf('/api/other')).status).toBe(404);
    expect((await get('/api/counters?glob=*', { method: 'POST' })).status).toBe(405);
  });

  it('answers only to loopback host names while bound to loopback (DNS rebinding)', async () => {
    const { status } = await new Promise<{ status: number }>((resolve, reject) => {
      import('node:http')
        .then(({ request }) => {
          const req = request(`${server.url}/api/info`, { headers: { host: 'evil.example' } });
          req.on('response', (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0 });
          });
          req.on('error', reject);
          req.end();
        })
        .catch(reject);
    });
    expect(status).toBe(421);
    expect((await get('/api/info')).status).toBe(200);
  });

  it('reads a series: the buckets up to the one holding now, zeros included', async () => {
    // Written where the workers write buckets (docs/series.md, "Storage layout of buckets").
    const start = Math.floor(NOW / MINUTE) * MINUTE;
    const name = 'page:home';
    const { node, key } = layout.locate(name);
    const client = redis.server(IDS.indexOf(node)).client();
    const slot = Number(key.slice(key.lastIndexOf(':') + 1));
    await client.hset(layout.keys.series('minute', start - 2 * MINUTE, slot), name, '5');
    await client.hset(layout.keys.series('minute', start, slot), name, '2');
    const body = (await (
      await get(`/api/series?name=${encodeURIComponent(name)}&step=minute&since=5m`)
    ).json()) as { points: Array<[number, string]>; from: number; to: number };
    expect(body.from).toBe(start - 4 * MINUTE);
    expect(body.to).toBe(start + MINUTE);
    expect(body.points).toEqual([
      [start - 4 * MINUTE, '0'],
      [start - 3 * MINUTE, '0'],
      [start - 2 * MINUTE, '5'],
      [start - MINUTE, '0'],
      [start, '2'],
    ]);
    const hourly = (await (await get(`/api/series?name=${name}&step=hour`)).json()) as {
      points: unknown[];
    };
    expect(hourly.points).toHaveLength(60);
  });

  it('streams the changes of matching counters as Server-Sent Events, after "ready"', async () => {
    const controller = new AbortController();
    const response = await get(`/api/watch?glob=${encodeURIComponent('page:*')}`, {
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = eventReader(response.body!);
    try {
      const ready = await events.next('ready');
      expect(JSON.parse(ready).down).toEqual([]);
      await reader.set('cart:add', 1n); // not matching: never sent
      await reader.set('page:home', 13n);
      expect(JSON.parse(await events.next('update'))).toEqual([['page:home', '13']]);
      await reader.set('page:new', 1n);
      expect(JSON.parse(await events.next('update'))).toEqual([['page:new', '1']]);
    } finally {
      controller.abort();
    }
  });
});

/** Reads `event:`/`data:` blocks from an SSE body; `next(event)` skips to the next of that kind. */
function eventReader(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  return {
    async next(wanted: string, ms = 5000): Promise<string> {
      const deadline = Date.now() + ms;
      for (;;) {
        let end: number;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === wanted && data !== undefined) return data;
        }
        if (Date.now() > deadline) throw new Error(`no "${wanted}" event within ${ms} ms`);
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before a "${wanted}" event`);
        text += value;
      }
    },
  };
}
