import { OTHER_VARIABLES, SETTINGS } from './settings.js';

/**
 * The README's table of environment variables, generated from the settings (`countd help env`
 * prints it; test/docs/readme.test.ts checks the README holds exactly this).
 */
export function settingsTable(): string {
  const rows = [
    ...Object.values(SETTINGS).map((s) => [
      `\`${s.env}\``,
      `\`--${s.flag}\``,
      'default' in s && s.default !== '' ? `\`${s.default}\`` : s.unset,
      s.description,
    ]),
    ...OTHER_VARIABLES.map((v) => [`\`${v.env}\``, v.flag, v.default, v.description]),
  ];
  const lines = rows.map((cells) => `| ${cells.join(' | ')} |`);
  return ['| variable | flag | default | meaning |', '|---|---|---|---|', ...lines, ''].join('\n');
}
