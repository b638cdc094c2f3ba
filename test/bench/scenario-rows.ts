/**
 * What the A-against-B scenarios (s1-replicas, s1-rollups) share: a row of the printed table,
 * the median of a figure over runs, whether every run read back exact, a count as text.
 */
import { median } from './bench-report.js';
import type { EndToEndOptions, EndToEndResult } from './scenario-end-to-end.js';

/** One S1 run with these extra worker settings (and end-to-end options). */
export type S1Runner = (
  label: string,
  workerEnv: Record<string, string>,
  extra?: Partial<EndToEndOptions>,
) => Promise<EndToEndResult>;

/** The runs of an A-against-B scenario, each side in the order it ran (alternating). */
export interface SideBySide {
  readonly without: readonly EndToEndResult[];
  readonly with: readonly EndToEndResult[];
}

/** One row of the printed table; `ok` undefined: no target, no verdict. */
export interface Row {
  readonly what: string;
  readonly figure: string;
  readonly target: string;
  readonly ok: boolean | undefined;
}

/** The median of `get` over `runs`; null when there are none (the scenario did not run). */
export function medianOf(
  runs: readonly EndToEndResult[] | undefined,
  get: (run: EndToEndResult) => number,
): number | null {
  return runs === undefined || runs.length === 0 ? null : median(runs.map(get));
}

/** Every run read back exact and none reported a failure. */
export const exactAll = (runs: readonly EndToEndResult[]): boolean =>
  runs.length > 0 && runs.every((r) => r.verify?.exact === true && r.failures.length === 0);

export const count = (v: unknown): string =>
  typeof v === 'number' ? Math.round(v).toLocaleString('en-US') : '-';
