import { describe, expect, it } from 'vitest';
import { limitHeapGrowth } from '../../../workers/process/heap-growth.js';

describe('limitHeapGrowth', () => {
  it('leaves a growth the node flags set alone, in either spelling', () => {
    expect(limitHeapGrowth(['--heap-growing-percent=80'])).toBe(false);
    expect(limitHeapGrowth(['--heap_growing_percent=80'])).toBe(false);
    expect(limitHeapGrowth([], '--max-old-space-size=512 --heap-growing-percent=20')).toBe(false);
  });

  it('caps it otherwise', () => {
    expect(limitHeapGrowth(['--enable-source-maps'], '--max-old-space-size=512')).toBe(true);
  });
});
