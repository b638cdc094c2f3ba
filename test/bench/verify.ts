import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { StorageLayout } from '../../src/storage/index.js';
import { NODE_IDS } from './bench-stack.js';
import { counterName } from './workload.js';

/** Sums the expected-totals files the lanes wrote (a Float64Array per lane). */
export function sumExpected(files: readonly string[], counters: number): Float64Array {
  const totals = new Float64Array(counters);
  for (const file of files) {
    const bytes = readFileSync(file);
    const lane = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
    for (let i = 0; i < counters; i++) totals[i]! += lane[i]!;
  }
  return totals;
}

export interface VerifyResult {
  readonly exact: boolean;
  readonly checked: number;
  readonly mismatches: number;
  readonly examples: readonly string[];
}

// Fields per HMGET: one bucket hash holds ~80 counters of a 1M-counter run per node.
const PIPELINE = 2000;

/**
 * Reads every counter back, grouped per node and bucket hash (pipelined HMGET, as a bulk
 * reader would), and compares with `expected`. A counter never sent must be absent or 0.
 */
export async function verifyTotals(
  expected: Float64Array,
  layout: StorageLayout,
  clients: readonly Redis[],
): Promise<VerifyResult> {
  const nodeIndex = new Map<string, number>(NODE_IDS.map((id, i) => [id, i]));
  // node -> bucket key -> counter indexes
  const groups = clients.map(() => new Map<string, number[]>());
  for (let i = 0; i < expected.length; i++) {
    const name = counterName(i);
    const node = nodeIndex.get(layout.ring.locate(name))!;
    const key = layout.bucketKey(layout.bucketOf(name));
    let list = groups[node]!.get(key);
    if (list === undefined) groups[node]!.set(key, (list = []));
    list.push(i);
  }
  let mismatches = 0;
  let checked = 0;
  const examples: string[] = [];
  await Promise.all(
    clients.map(async (client, n) => {
      const entries = [...groups[n]!.entries()];
      for (let start = 0; start < entries.length; start += PIPELINE) {
        const slice = entries.slice(start, start + PIPELINE);
        const pipeline = client.pipeline();
        for (const [key, indexes] of slice) pipeline.hmget(key, ...indexes.map(counterName));
        const replies = (await pipeline.exec()) ?? [];
        slice.forEach(([, indexes], s) => {
          const [err, values] = replies[s] ?? [new Error('no reply'), null];
          if (err !== null) throw err;
          (values as Array<string | null>).forEach((value, k) => {
            const index = indexes[k]!;
            const want = expected[index]!;
            const got = value === null ? 0 : Number(value);
            checked++;
            if (got !== want) {
              mismatches++;
              if (examples.length < 5) examples.push(`${counterName(index)}: ${got} != ${want}`);
            }
          });
        });
      }
    }),
  );
  return { exact: mismatches === 0, checked, mismatches, examples };
}
