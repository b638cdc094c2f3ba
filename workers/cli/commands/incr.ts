import { parseConfig } from '../../../src/config/index.js';
import { Producer } from '../../../src/producer/index.js';
import { parseCommandArgs, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_HELP, configFlagValues } from '../config-flags.js';
import { UsageError } from '../usage-error.js';
import { parseTimeArg } from './series-args.js';

export const incrCommand: Command = {
  name: 'incr',
  summary: 'add to a counter through the queue: countd incr <name> [by] [--at T]',
  help: `Usage: countd incr <name> [by] [--at T] [config flags]

Adds <by> (default 1; negative allowed, a safe integer) to counter <name> through the queue.
Exits 0 once the increment is durably in the queue; a worker applies it within a flush interval.
A counter name that starts with '-' goes after --: countd incr -- -5 [by].

  --at T   when the event happened: epoch milliseconds or ISO-8601 (2025-01-10T12:00Z);
           default now. Counted in the time buckets of T (COUNTD_ROLLUPS, docs/series.md).
           More than 5 minutes ahead is refused (exit 2), and so is a T in another minute
           than now while the fleet's workers read only payload version 1.

${CONFIG_FLAGS_HELP}
`,
  async run(args, io) {
    const parsed = parseCommandArgs('incr', escapeNegativeDeltas(args), {
      ...CONFIG_FLAG_OPTIONS,
      at: { type: 'string' },
    });
    const [name, byText, extra] = parsed.positionals.map(unescapeNegative);
    if (name === undefined) throw new UsageError('countd incr: give a counter name');
    if (parsed.positionals[0]?.startsWith(NEGATIVE) === true) {
      throw new UsageError(
        `countd incr: "${name}" stands where the counter name goes; a name that starts with '-' ` +
          `goes after --, as in: countd incr -- ${name} [by]`,
      );
    }
    if (extra !== undefined) throw new UsageError(`countd incr: unexpected argument "${extra}"`);
    const by = byText === undefined ? 1 : Number(byText);
    if (byText !== undefined && (!/^[+-]?\d+$/.test(byText) || !Number.isSafeInteger(by))) {
      throw new UsageError(`countd incr: by "${byText}" must be a safe integer (±2^53-1)`);
    }
    const atText = stringFlag(parsed, 'at');
    const at = atText === undefined ? undefined : eventTime(atText);
    const config = parseConfig(io.env, configFlagValues(parsed));
    const producer = Producer.fromConfig(config, { lingerMs: 0, deadlineMs: 10_000 });
    try {
      await producer.increment(name, by, { at });
    } catch (err) {
      await producer.close().catch(() => undefined);
      // Bad names and deltas are usage errors; queue trouble is a runtime failure.
      if (err instanceof Error && /^Invalid/.test(err.name))
        throw new UsageError(`countd incr: ${err.message}`);
      throw err;
    }
    await producer.close();
    io.stdout.write(`${name}\t${by >= 0 ? '+' : ''}${by}\tqueued\n`);
    return 0;
  },
};

// `countd incr users:online -1`: a negative delta is a value, not a flag, so parseArgs must not
// see its dash. Only positionals before `--` are marked; never an option's value, and the
// marker never leaves this file.
const NEGATIVE = '\u0000negative:';

function escapeNegativeDeltas(args: readonly string[]): string[] {
  const end = args.indexOf('--');
  return args.map((arg, i) => {
    if ((end !== -1 && i >= end) || !/^-\d+$/.test(arg)) return arg;
    const previous = args[i - 1];
    const isOptionValue = previous !== undefined && /^--[^=]+$/.test(previous);
    return isOptionValue ? arg : `${NEGATIVE}${arg}`;
  });
}

function unescapeNegative(arg: string): string {
  return arg.startsWith(NEGATIVE) ? arg.slice(NEGATIVE.length) : arg;
}

/** `--at` as `countd series` reads its times (one parser: the same forms are accepted). */
function eventTime(text: string): number {
  try {
    return parseTimeArg('at', text);
  } catch (err) {
    if (err instanceof UsageError)
      throw new UsageError(err.message.replace(/^countd series: /, 'countd incr: '));
    throw err;
  }
}
