import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { StorageLayout } from '../../src/storage/index.js';
import { NODE_IDS } from './bench-stack.js';
import { counterName } from './workload.js';
import { storedTotals } from '../support/stored-totals.js';
import { verifyTotals } from '../../workers/cli/commands/demo/verify-totals.js';

/** Sums the expected-totals files the lanes wrote (a Float64Array per lane). */
function sumExpected(files: readonly string[], counters: number): Float64Array {
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

/**
 * Reads every counter of the run back from the nodes' hashes and compares it with what the
 * lanes sent (`countd demo`'s exact check); a counter never sent must be absent or 0.
 */
export async function verifyLaneTotals(
  files: readonly string[],
  counters: number,
  layout: StorageLayout,
  clients: readonly Redis[],
): Promise<VerifyResult> {
  const sums = sumExpected(files, counters);
  const expected = new Map<string, number>();
  for (let i = 0; i < counters; i++) expected.set(counterName(i), sums[i]!);
  const nodes = new Map(NODE_IDS.map((id, n) => [id, clients[n]!]));
  const check = await verifyTotals(expected, storedTotals(layout, nodes), counters);
  return {
    exact: check.mismatches.length === 0,
    checked: check.checked,
    mismatches: check.mismatches.length,
    examples: check.mismatches.slice(0, 5).map((m) => `${m.name}: ${m.stored} != ${m.expected}`),
  };
}
