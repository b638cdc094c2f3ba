import type { CounterReader } from '../../../../src/reader/index.js';

/** The outcome of reading every expected counter back. */
export interface Verification {
  readonly checked: number;
  readonly matching: number;
  /** The first mismatches: name, expected, stored. */
  readonly mismatches: ReadonlyArray<readonly [string, bigint, bigint]>;
}

/** Reads every counter of `expected` (pipelined per node, in chunks) and compares exactly. */
export async function verifyCounters(
  reader: CounterReader<'bigint'>,
  expected: ReadonlyMap<string, number>,
  chunk = 10_000,
): Promise<Verification> {
  const names = [...expected.keys()];
  let matching = 0;
  const mismatches: Array<readonly [string, bigint, bigint]> = [];
  for (let i = 0; i < names.length; i += chunk) {
    const values = await reader.getMany(names.slice(i, i + chunk));
    for (const [name, stored] of values) {
      const want = BigInt(expected.get(name)!);
      if (stored === want) matching++;
      else if (mismatches.length < 10) mismatches.push([name, want, stored]);
    }
  }
  return { checked: names.length, matching, mismatches };
}
