import { describe, expect, it } from 'vitest';
import { verifyTotals } from '../../../../../workers/cli/commands/demo/verify-totals.js';

describe('verifyTotals', () => {
  const stored = new Map<string, bigint>([
    ['n1:views', 5n],
    ['n2:views', 3n],
    ['n3:big', 2n ** 60n],
  ]);
  const reads: string[][] = [];
  const read = async (names: readonly string[]) => {
    reads.push([...names]);
    return new Map(names.map((name) => [name, stored.get(name) ?? 0n]));
  };

  it('compares exactly, in chunks, a missing counter as 0', async () => {
    reads.length = 0;
    const check = await verifyTotals(
      new Map<string, number | bigint>([
        ['n1:views', 5],
        ['n2:views', 4],
        ['n3:big', 2n ** 60n],
        ['n4:unsent', 0],
        ['n5:lost', 2],
      ]),
      read,
      2,
    );
    expect(reads).toEqual([['n1:views', 'n2:views'], ['n3:big', 'n4:unsent'], ['n5:lost']]);
    expect(check).toEqual({
      checked: 5,
      mismatches: [
        { name: 'n2:views', expected: 4n, stored: 3n },
        { name: 'n5:lost', expected: 2n, stored: 0n },
      ],
      lost: 3n,
      doubled: 0n,
    });
  });

  it('sums what was counted twice', async () => {
    const check = await verifyTotals(new Map([['n1:views', 2]]), read);
    expect(check.doubled).toBe(3n);
    expect(check.lost).toBe(0n);
  });

  it('throws when the read leaves a counter out', async () => {
    await expect(verifyTotals(new Map([['n1:views', 5]]), async () => new Map())).rejects.toThrow(
      'no value read for counter n1:views',
    );
  });
});
