import type { Redis } from 'ioredis';
import type { StorageLayout } from '../../../src/storage/index.js';
import { storedTotals } from '../../support/stored-totals.js';
import {
  verifyTotals,
  type TotalMismatch,
  type TotalsCheck,
} from '../../../workers/cli/commands/demo/verify-totals.js';

/** The outcome of {@link verifyCounters}: the totals' check, plus what nobody expected. */
export interface CounterCheck extends TotalsCheck {
  readonly mismatches: ReadonlyArray<TotalMismatch & { readonly node: string }>;
  /** Counters stored under the prefix that were not expected at all (non-zero values). */
  readonly unexpected: readonly string[];
}

/**
 * The exact check of `countd demo` ({@link verifyTotals}), reading each counter from the
 * hash {@link StorageLayout.locate} names rather than through the reader; then scans the
 * prefix's hashes for counters nobody expected.
 */
export async function verifyCounters(
  expected: ReadonlyMap<string, number>,
  layout: StorageLayout,
  nodes: ReadonlyMap<string, Redis>,
): Promise<CounterCheck> {
  const check = await verifyTotals(expected, storedTotals(layout, nodes), 100_000);
  const mismatches = check.mismatches.map((m) => ({ ...m, node: layout.locate(m.name).node }));
  return { ...check, mismatches, unexpected: await unexpectedCounters(expected, layout, nodes) };
}

async function unexpectedCounters(
  expected: ReadonlyMap<string, number>,
  layout: StorageLayout,
  nodes: ReadonlyMap<string, Redis>,
): Promise<string[]> {
  const unexpected: string[] = [];
  for (const [, redis] of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        layout.keys.bucketPattern(),
        'COUNT',
        1000,
      );
      cursor = next;
      for (const key of keys) {
        const fields = await redis.hgetall(key);
        for (const [field, value] of Object.entries(fields)) {
          if (!expected.has(field) && value !== '0') unexpected.push(field);
        }
      }
    } while (cursor !== '0');
  }
  return unexpected;
}

/** One line for logs, plus the first mismatches. */
export function describeCheck(check: CounterCheck): string {
  const head =
    `${check.checked} counters checked: ${check.mismatches.length} wrong ` +
    `(lost ${check.lost}, counted twice ${check.doubled}), ${check.unexpected.length} unexpected`;
  const sample = check.mismatches
    .slice(0, 10)
    .map((m) => `\n  ${m.name} on ${m.node}: expected ${m.expected}, stored ${m.stored}`);
  const extra = check.unexpected.slice(0, 5).map((name) => `\n  unexpected counter ${name}`);
  return head + sample.join('') + extra.join('');
}
