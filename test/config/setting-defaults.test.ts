import { describe, expect, it } from 'vitest';
import { SETTINGS, SETTING_DEFAULTS, parseConfig } from '../../src/config/index.js';

describe('SETTING_DEFAULTS', () => {
  it('holds the parsed default of every setting that has one, and only those', () => {
    const withDefault = Object.entries(SETTINGS).filter(([, s]) => 'default' in s);
    expect(Object.keys(SETTING_DEFAULTS).sort()).toEqual(withDefault.map(([k]) => k).sort());
    expect(SETTING_DEFAULTS).toMatchObject({
      buckets: 4096,
      publishUpdates: true,
      prefix: 'countd',
    });
    expect(Object.isFrozen(SETTING_DEFAULTS)).toBe(true);
  });

  it('is what parseConfig gives when nothing is set', () => {
    expect(parseConfig({})).toEqual({ queue: undefined, nodes: undefined, ...SETTING_DEFAULTS });
  });
});
