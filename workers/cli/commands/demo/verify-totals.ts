/**
 * Reads the stored values of `names`, a missing counter as 0 (one whose increments cancelled
 * out may never be written). `countd demo` reads through a CounterReader; the e2e tests read
 * the nodes' hashes directly.
 */
export type StoredTotals = (names: readonly string[]) => Promise<ReadonlyMap<string, bigint>>;

/** A counter whose stored value is not the expected one. */
export interface TotalMismatch {
  readonly name: string;
  readonly expected: bigint;
  readonly stored: bigint;
}

/** The outcome of {@link verifyTotals}. */
export interface TotalsCheck {
  /** Expected counters read. */
  readonly checked: number;
  readonly mismatches: readonly TotalMismatch[];
  /** Sum of (expected − stored) where a counter reads less: increments lost. */
  readonly lost: bigint;
  /** Sum of (stored − expected) where a counter reads more: increments counted twice (or extra). */
  readonly doubled: bigint;
}

/**
 * Reads every counter of `expected` back, `chunk` names per read, and compares exactly
 * (bigints: a total past 2^53 is still compared to the unit).
 */
export async function verifyTotals(
  expected: ReadonlyMap<string, number | bigint>,
  read: StoredTotals,
  chunk = 10_000,
): Promise<TotalsCheck> {
  const names = [...expected.keys()];
  const mismatches: TotalMismatch[] = [];
  let lost = 0n;
  let doubled = 0n;
  for (let i = 0; i < names.length; i += chunk) {
    const part = names.slice(i, i + chunk);
    const values = await read(part);
    for (const name of part) {
      const want = BigInt(expected.get(name)!);
      const stored = values.get(name);
      if (stored === undefined) throw new Error(`no value read for counter ${name}`);
      if (stored === want) continue;
      mismatches.push({ name, expected: want, stored });
      if (stored < want) lost += want - stored;
      else doubled += stored - want;
    }
  }
  return { checked: names.length, mismatches, lost, doubled };
}
