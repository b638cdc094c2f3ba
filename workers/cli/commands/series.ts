import { once } from 'node:events';
import { parseConfig } from '../../../src/config/index.js';
import { InvalidSeriesRequestError } from '../../../src/errors/index.js';
import type { Series } from '../../../src/reader/index.js';
import { namesFromArgs, parseCommandArgs, valueFlags } from '../args.js';
import { EXIT_OK, type Command, type CommandIo } from '../command.js';
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_HELP, configFlagValues } from '../config-flags.js';
import { bars, sparkline } from '../series-chart.js';
import { UsageError } from '../usage-error.js';
import { checkNames, readerFromConfig } from './reader-from-config.js';
import { DEFAULT_SINCE_STEPS, iso, seriesWindow } from './series-args.js';

const HELP = `Usage: countd series <name>... | -  --step minute|hour|day
                     [--since D | --from T [--to T]] [--json]   [config flags]

Prints how much each counter grew per minute, hour or day (the rollups the workers keep,
COUNTD_ROLLUPS): every bucket whose start is in [from, to), oldest first, 0 for empty ones.
On a terminal: per counter, its total over the window, a sparkline and a bar per bucket.
Otherwise one line name<TAB>bucket start<TAB>value per bucket.

Options:
  --step S   minute, hour or day: one of the configured rollups
  --since D  the window ends now and is D long: <n>s, <n>m, <n>h or <n>d (default: ${DEFAULT_SINCE_STEPS} steps)
  --from T   the window starts at T: epoch milliseconds or ISO-8601 with a zone
             (2025-01-10, 2025-01-10T12:00Z, 2025-01-10T13:00+01:00)
  --to T     the window ends before T (default: now)
  --json     one JSON object {"name": [[bucketStartMs, value], ...], ...} (exact JSON numbers)

At most 10,000 buckets per counter. Bucket starts are UTC (a day starts at 00:00Z); to read
days of another zone, read hours and add them up.

${CONFIG_FLAGS_HELP}

Exit codes: 0 ok, 1 a storage node failed or is unreachable, 2 bad usage (unknown step, a
step not configured, bad time or duration, --from after --to, too many buckets, no name).
`;

interface Terminal {
  isTTY?: boolean;
  columns?: number;
}

export const seriesCommand: Command = {
  name: 'series',
  summary: 'counts per minute, hour or day: countd series <name>... --step hour',
  help: HELP,
  async run(args: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseCommandArgs('series', args, {
      ...CONFIG_FLAG_OPTIONS,
      ...valueFlags('step', 'since', 'from', 'to'),
      json: { type: 'boolean' },
    });
    const config = parseConfig(io.env, configFlagValues(parsed));
    const window = seriesWindow(parsed, Date.now());
    const names = await namesFromArgs(parsed.positionals, io.stdin, 'series');
    checkNames('series', names);
    const terminal = io.stdout as NodeJS.WritableStream & Terminal;
    const reader = readerFromConfig(config);
    let series: Map<string, Series<'bigint'>>;
    try {
      series = await reader.getSeriesMany(names, window);
    } catch (err) {
      // The rollups are known once the fleet's ring is read: a step they do not keep is usage.
      if (err instanceof InvalidSeriesRequestError)
        throw new UsageError(`countd series: --${err.field} ${err.reason}`);
      throw err;
    } finally {
      await reader.close();
    }
    const text =
      parsed.values.json === true
        ? jsonText(series)
        : terminal.isTTY === true
          ? chartText(series, window.step, widthOf(terminal))
          : plainText(series);
    if (!io.stdout.write(text)) await once(io.stdout, 'drain');
    return EXIT_OK;
  },
};

/** The terminal's width; a pty whose size was never set reports 0 columns: 80 then. */
function widthOf(terminal: Terminal): number {
  return terminal.columns !== undefined && terminal.columns > 0 ? terminal.columns : 80;
}

/** `{"name":[[start,value],...]}`, written by hand: bigints as exact JSON numbers. */
export function jsonText(series: ReadonlyMap<string, Series<'bigint'>>): string {
  const members = [...series].map(
    ([name, buckets]) =>
      `${JSON.stringify(name)}:[${buckets.map(([start, v]) => `[${start},${v.toString()}]`).join(',')}]`,
  );
  return `{${members.join(',')}}\n`;
}

/** One line name<TAB>bucket start<TAB>value per bucket. */
export function plainText(series: ReadonlyMap<string, Series<'bigint'>>): string {
  let text = '';
  for (const [name, buckets] of series)
    for (const [start, value] of buckets) text += `${name}\t${iso(start)}\t${value.toString()}\n`;
  return text;
}

/**
 * Per counter: a header (step, window, total), a sparkline of at most the terminal's width,
 * then one line per bucket: its start, its value and a bar.
 */
export function chartText(
  series: ReadonlyMap<string, Series<'bigint'>>,
  step: string,
  columns: number,
): string {
  const blocks: string[] = [];
  for (const [name, buckets] of series) {
    const values = buckets.map(([, v]) => v);
    const total = values.reduce((sum, v) => sum + v, 0n);
    const span =
      buckets.length === 0
        ? 'no bucket in the window'
        : `${iso(buckets[0]![0])} .. ${iso(buckets.at(-1)![0])}`;
    const lines = [`${name}  per ${step}, ${span}, total ${total.toString()}`];
    if (values.length > 0) lines.push(`  ${sparkline(values.slice(-Math.max(1, columns - 2)))}`);
    const texts = values.map((v) => v.toString());
    const width = Math.max(0, ...texts.map((t) => t.length));
    const labels = buckets.map(([start]) => iso(start));
    const labelWidth = Math.max(0, ...labels.map((l) => l.length));
    const barWidth = Math.max(10, Math.min(60, columns - labelWidth - width - 6));
    const drawn = bars(values, barWidth);
    buckets.forEach((_, b) => {
      lines.push(`  ${labels[b]!}  ${texts[b]!.padStart(width)}  ${drawn[b]!}`.trimEnd());
    });
    blocks.push(lines.join('\n'));
  }
  return `${blocks.join('\n\n')}\n`;
}
