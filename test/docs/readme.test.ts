import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it.each(Object.values(SETTINGS).map((s) => [s.env, s]))(
    'documents %s with its flag and default',
    (_, setting) => {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${setting.env}\` |`));
      expect(row, `README has no row for ${setting.env}`).toBeDefined();
      expect(row).toContain(`\`--${setting.flag}\``);
      const shownDefault = setting.defaultText.startsWith('(')
        ? setting.defaultText
        : `\`${setting.defaultText}\``;
      expect(row).toContain(shownDefault);
    },
  );

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
