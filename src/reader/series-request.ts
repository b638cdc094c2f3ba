import { InvalidSeriesRequestError } from '../errors/index.js';
import { GRANULARITIES, STEP_MS, isGranularity, type Granularity } from '../rollups/index.js';

/** The granularity of a series: one of the rollups (docs/series.md). */
export type SeriesStep = Granularity;

/** At most this many buckets per series: 10,000 minutes is a week, 10,000 hours over a year. */
export const MAX_SERIES_BUCKETS = 10_000;

// Date's own range: a time past it has no bucket anyone could have written.
const MAX_EPOCH_MS = 8.64e15;

/** What {@link CounterReader.getSeries} is asked for. */
export interface SeriesOptions {
  /** The bucket size: a granularity of the configured rollups. */
  readonly step: SeriesStep;
  /** Epoch milliseconds or a Date: the series starts at the first bucket starting at or after it. */
  readonly from: number | Date;
  /** Epoch milliseconds or a Date, exclusive: the last bucket starts before it. */
  readonly to: number | Date;
}

/** A validated request: the step and the start of every bucket read, in order. */
export interface SeriesRequest {
  readonly step: SeriesStep;
  readonly stepMs: number;
  readonly starts: readonly number[];
}

/**
 * Checks what does not depend on the rollups (the step is a granularity, the times are times,
 * `from <= to`, at most {@link MAX_SERIES_BUCKETS} buckets) and lists the bucket starts in
 * `[from, to)`; throws an {@link InvalidSeriesRequestError} naming the field.
 */
export function seriesRequest(options: SeriesOptions): SeriesRequest {
  if (typeof options !== 'object' || options === null)
    throw new InvalidSeriesRequestError('options', options, 'must be { step, from, to }');
  const { step } = options;
  if (!isGranularity(step))
    throw new InvalidSeriesRequestError(
      'step',
      step,
      `${describe(step)} is not ${GRANULARITIES.join(', ')}`,
    );
  const from = epochMs('from', options.from);
  const to = epochMs('to', options.to);
  if (from > to)
    throw new InvalidSeriesRequestError('from', options.from, `${from} is after to (${to})`);
  const size = STEP_MS[step];
  const first = Math.ceil(from / size) * size;
  const count = first >= to ? 0 : Math.ceil((to - first) / size);
  if (count > MAX_SERIES_BUCKETS)
    throw new InvalidSeriesRequestError(
      'to',
      options.to,
      `makes ${count} ${step} buckets from ${from}, more than ${MAX_SERIES_BUCKETS}: ` +
        'narrow [from, to) or take a coarser step',
    );
  const starts = Array.from({ length: count }, (_, i) => first + i * size);
  return { step, stepMs: size, starts };
}

/**
 * Throws an {@link InvalidSeriesRequestError} on `step` unless the rollups keep it: buckets of
 * another granularity are never written, and zeros would read as "nothing happened".
 */
export function assertStepKept(step: SeriesStep, kept: readonly SeriesStep[]): void {
  if (kept.includes(step)) return;
  throw new InvalidSeriesRequestError(
    'step',
    step,
    kept.length === 0
      ? `${step} is not kept: no rollups are configured (COUNTD_ROLLUPS)`
      : `${step} is not kept by the rollups (${kept.join(', ')})`,
  );
}

function epochMs(field: 'from' | 'to', value: unknown): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms))
    throw new InvalidSeriesRequestError(
      field,
      value,
      `${describe(value)} is not epoch milliseconds or a valid Date`,
    );
  if (ms < 0 || ms > MAX_EPOCH_MS)
    throw new InvalidSeriesRequestError(field, value, `${ms} is outside 0..${MAX_EPOCH_MS}`);
  return ms;
}

function describe(value: unknown): string {
  if (value instanceof Date) return 'an invalid Date';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return value === null ? 'null' : typeof value === 'number' ? String(value) : typeof value;
}
