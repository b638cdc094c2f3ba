import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config/index.js';
import { main } from '../../workers/cli/main.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('holds the settings table exactly as `countd help env` prints it', async () => {
    const table = await helpEnv();
    const start = readme.indexOf('| variable | flag | default | meaning |');
    expect(start, 'README has no settings table').toBeGreaterThan(-1);
    const end = readme.indexOf('\n\n', start);
    expect(`${readme.slice(start, end)}\n`).toBe(table);
  });

  it('documents every setting with its flag and default', async () => {
    const table = await helpEnv();
    for (const setting of Object.values(SETTINGS)) {
      const shown =
        'default' in setting && setting.default !== '' ? `\`${setting.default}\`` : setting.unset;
      expect(table).toContain(`| \`${setting.env}\` | \`--${setting.flag}\` | ${shown} |`);
    }
  });

  it('gives the start and test commands that package.json defines', () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      scripts: Record<string, string>;
    };
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
    expect(pkg.scripts.start).toContain('up');
    expect(pkg.scripts.test).toContain('vitest run');
  });
});

async function helpEnv(): Promise<string> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const code = await main(['help', 'env'], {
    env: {},
    stdout,
    stderr: new PassThrough(),
    stdin: new PassThrough(),
    stopSignal: new AbortController().signal,
  });
  expect(code).toBe(0);
  return Buffer.concat(chunks).toString('utf8');
}
