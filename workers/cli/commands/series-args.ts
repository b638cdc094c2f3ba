import { MAX_SERIES_BUCKETS, type SeriesOptions } from '../../../src/reader/index.js';
import {
  GRANULARITIES,
  STEP_MS,
  isGranularity,
  parseDuration,
} from '../../../src/rollups/index.js';
import { stringFlag, type ParsedArgs } from '../args.js';
import { UsageError } from '../usage-error.js';

// A date (UTC midnight), or a date and time with its zone: without one, Date reads the local
// zone, and buckets are UTC; the user says which time they mean.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;
const ZONELESS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;
const EPOCH_MS = /^\d{1,16}$/;
// Date's own range.
const MAX_EPOCH_MS = 8.64e15;

/** Default window: this many steps back from now. */
export const DEFAULT_SINCE_STEPS = 60;

/**
 * Epoch ms of a time flag: epoch milliseconds, or ISO-8601 (`2025-01-10`, `2025-01-10T12:00Z`,
 * `2025-01-10T13:00:00+01:00`). Throws a {@link UsageError} naming the flag.
 */
export function parseTimeArg(flag: string, text: string): number {
  const raw = text.trim();
  if (EPOCH_MS.test(raw)) {
    const ms = Number(raw);
    if (ms <= MAX_EPOCH_MS) return ms;
  } else if (ISO_DATE.test(raw) || ISO_TIME.test(raw)) {
    const ms = Date.parse(raw);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  } else if (ZONELESS.test(raw)) {
    throw new UsageError(
      `countd series: --${flag} "${raw}" has no zone: add Z (UTC) or an offset such as +01:00`,
    );
  }
  throw new UsageError(
    `countd series: --${flag} "${raw.slice(0, 40)}" is not a time ` +
      '(epoch milliseconds, or ISO-8601 such as 2025-01-10 or 2025-01-10T12:00Z)',
  );
}

/**
 * What `--step`, `--since`, `--from` and `--to` ask for, checked before anything connects
 * (every message names the flag). `now` is the end of a `--since` window and of a lone `--from`.
 */
export function seriesWindow(parsed: ParsedArgs, now: number): SeriesOptions {
  const step = stringFlag(parsed, 'step');
  if (step === undefined)
    throw new UsageError(`countd series: give --step ${GRANULARITIES.join('|')}`);
  if (!isGranularity(step))
    throw new UsageError(`countd series: --step "${step}" is not ${GRANULARITIES.join(', ')}`);
  const stepMs = STEP_MS[step];
  const since = stringFlag(parsed, 'since');
  const fromText = stringFlag(parsed, 'from');
  const toText = stringFlag(parsed, 'to');
  if (since !== undefined && (fromText !== undefined || toText !== undefined))
    throw new UsageError('countd series: give either --since or --from/--to, not both');
  if (toText !== undefined && fromText === undefined)
    throw new UsageError('countd series: --to needs --from');
  let from: number;
  let to: number;
  if (fromText !== undefined) {
    from = parseTimeArg('from', fromText);
    to = toText === undefined ? now : parseTimeArg('to', toText);
    if (from > to)
      throw new UsageError(
        `countd series: --from ${iso(from)} is after ${toText === undefined ? 'now' : '--to'} ${iso(to)}`,
      );
  } else {
    let span = DEFAULT_SINCE_STEPS * stepMs;
    if (since !== undefined) {
      const parsedSpan = parseDuration(since);
      if (typeof parsedSpan !== 'number')
        throw new UsageError(`countd series: --since ${parsedSpan.problem}`);
      span = parsedSpan;
    }
    to = now;
    from = Math.max(0, now - span);
  }
  const first = Math.ceil(from / stepMs) * stepMs;
  const count = first >= to ? 0 : Math.ceil((to - first) / stepMs);
  if (count > MAX_SERIES_BUCKETS)
    throw new UsageError(
      `countd series: ${count} ${step} buckets asked for, more than ${MAX_SERIES_BUCKETS}: ` +
        'narrow the window or take a coarser --step',
    );
  return { step, from, to };
}

/** A bucket start as the output prints it: ISO-8601 to the minute, UTC (`2025-01-10T12:00Z`). */
export function iso(ms: number): string {
  const text = new Date(ms).toISOString();
  return text.endsWith(':00.000Z') ? `${text.slice(0, 16)}Z` : text;
}
