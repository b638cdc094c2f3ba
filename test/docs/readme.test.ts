import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settingsTable } from '../../src/config/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('holds the settings table exactly as `countd help env` prints it', () => {
    const table = settingsTable();
    const start = readme.indexOf('| variable | flag | default | meaning |');
    expect(start, 'README has no settings table').toBeGreaterThan(-1);
    const end = readme.indexOf('\n\n', start);
    expect(`${readme.slice(start, end)}\n`).toBe(table);
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
