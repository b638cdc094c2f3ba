import type { FailedJobView } from './failed-job-view.js';

// A job carries up to 10,000 pairs: the table shows a few, `--json` shows them all.
const PAIRS_SHOWN = 3;
const NAME_CHARS = 40;
const REASON_CHARS = 200;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]+/g;

const HEADER = ['JOB', 'FAILED', 'PAIRS', 'COUNTERS', 'UNAPPLIED', 'RETRY', 'REASON'] as const;

const RETRY_TEXT: Record<FailedJobView['retry'], string> = {
  unapplied: 'unapplied pairs',
  whole: 'whole job',
  rewritten: 'as rewritten',
  no: 'no',
};

/** The human table of `countd failed list`: one row per job, columns padded to the widest cell. */
export function failedJobTable(views: readonly FailedJobView[]): string {
  const rows: string[][] = [
    [...HEADER],
    ...views.map((v) => [
      v.id,
      v.ageSeconds === null ? '-' : `${ageText(v.ageSeconds)} ago`,
      v.counters === null ? '-' : String(v.counters.length),
      v.counters === null ? '(malformed)' : pairsText(v.counters),
      v.unapplied === null ? '-' : pairsText(v.unapplied),
      RETRY_TEXT[v.retry],
      clip(v.reason, REASON_CHARS),
    ]),
  ];
  const widths = HEADER.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** `42s`, `5m`, `3h`, `2d`: the age of a failure at a glance. */
export function ageText(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

function pairsText(pairs: ReadonlyArray<readonly [string, number, number?]>): string {
  if (pairs.length === 0) return '(none)';
  const shown = pairs
    .slice(0, PAIRS_SHOWN)
    .map(([name, delta]) => `${clip(name, NAME_CHARS)} ${delta >= 0 ? '+' : ''}${delta}`);
  const more = pairs.length - PAIRS_SHOWN;
  return `${shown.join(', ')}${more > 0 ? `, … +${more} more` : ''}`;
}

function clip(text: string, chars: number): string {
  // Reasons come from the queue: a newline or tab in one must not break the table's rows.
  const flat = text.replace(CONTROL, ' ');
  return flat.length > chars ? `${flat.slice(0, chars - 1)}…` : flat;
}
