import type { Redis } from 'ioredis';
import type { StorageLayout } from '../../../src/storage/index.js';

/** A counter whose stored value is not the expected one. */
export interface CounterMismatch {
  readonly name: string;
  readonly node: string;
  readonly expected: number;
  readonly actual: number;
}

/** The outcome of {@link verifyCounters}. */
export interface CounterCheck {
  /** Expected counters read. */
  readonly checked: number;
  readonly mismatches: readonly CounterMismatch[];
  /** Sum of (expected − actual) where a counter reads less: increments lost. */
  readonly lost: number;
  /** Sum of (actual − expected) where a counter reads more: increments counted twice (or extra). */
  readonly doubled: number;
  /** Counters stored under the prefix that were not expected at all (non-zero values). */
  readonly unexpected: readonly string[];
}

const CHUNK = 5000;

/**
 * Reads every expected counter where {@link StorageLayout.locate} says it lives (HGET on its
 * node, pipelined) and compares; then scans the prefix's hashes for counters nobody expected.
 * A missing field reads as 0 (a counter whose increments cancelled out may never be written).
 */
export async function verifyCounters(
  expected: ReadonlyMap<string, number>,
  layout: StorageLayout,
  nodes: ReadonlyMap<string, Redis>,
): Promise<CounterCheck> {
  const byNode = new Map<string, string[]>();
  for (const name of expected.keys()) {
    const { node } = layout.locate(name);
    let names = byNode.get(node);
    if (names === undefined) byNode.set(node, (names = []));
    names.push(name);
  }
  const mismatches: CounterMismatch[] = [];
  let lost = 0;
  let doubled = 0;
  let checked = 0;
  for (const [node, names] of byNode) {
    const redis = nodes.get(node);
    if (redis === undefined) throw new Error(`no client for node ${node}`);
    for (let start = 0; start < names.length; start += CHUNK) {
      const chunk = names.slice(start, start + CHUNK);
      const pipeline = redis.pipeline();
      for (const name of chunk) {
        const { key, field } = layout.locate(name);
        pipeline.hget(key, field);
      }
      const replies = (await pipeline.exec()) ?? [];
      chunk.forEach((name, i) => {
        const [err, raw] = replies[i] ?? [new Error('no reply'), null];
        if (err) throw err;
        const actual = raw === null ? 0 : Number(raw);
        const want = expected.get(name)!;
        checked++;
        if (actual === want) return;
        mismatches.push({ name, node, expected: want, actual });
        if (actual < want) lost += want - actual;
        else doubled += actual - want;
      });
    }
  }
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
  return { checked, mismatches, lost, doubled, unexpected };
}

/** One line for logs, plus the first mismatches. */
export function describeCheck(check: CounterCheck): string {
  const head =
    `${check.checked} counters checked: ${check.mismatches.length} wrong ` +
    `(lost ${check.lost}, counted twice ${check.doubled}), ${check.unexpected.length} unexpected`;
  const sample = check.mismatches
    .slice(0, 10)
    .map((m) => `\n  ${m.name} on ${m.node}: expected ${m.expected}, stored ${m.actual}`);
  const extra = check.unexpected.slice(0, 5).map((name) => `\n  unexpected counter ${name}`);
  return head + sample.join('') + extra.join('');
}
