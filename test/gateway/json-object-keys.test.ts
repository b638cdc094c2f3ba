import { describe, expect, it } from 'vitest';
import { topLevelKeys } from '../../src/gateway/index.js';

describe('topLevelKeys', () => {
  it('lists the top-level names in order, repeats included', () => {
    expect(topLevelKeys('{"a": 1, "b": 2, "a": 3}')).toEqual(['a', 'b', 'a']);
  });

  it('skips nested names and strings that look like names', () => {
    const json = '{"a": {"x": 1, "y": [1, {"z": 2}]}, "b": "c\\": d", "e\\u00e9": [",", "{"]}';
    expect(topLevelKeys(json)).toEqual(['a', 'b', 'eé']);
  });

  it('gives nothing for an empty object', () => {
    expect(topLevelKeys(' {} ')).toEqual([]);
  });
});
