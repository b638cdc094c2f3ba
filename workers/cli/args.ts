import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readUtf8Lines } from './stdin-lines.js';
import { UsageError } from './usage-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed flags and positionals; `help` is true when `--help`/`-h` was given. */
export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

/** parseArgs options for flags that each take one value (`--counters 1000`). */
export function valueFlags(...names: string[]): Record<string, { type: 'string' }> {
  return Object.fromEntries(names.map((name) => [name, { type: 'string' as const }]));
}

/** Wraps `util.parseArgs` so unknown flags and missing values become {@link UsageError}s. */
export function parseCommandArgs(
  command: string,
  args: readonly string[],
  options: Options,
): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals, help: values.help === true };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const unknown = /^Unknown option '(-[^-].*?)'/s.exec(message)?.[1];
    if ((err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
      // `-foo` is reported as '-f': the hint shows the whole argument.
      const arg = args.find((a) => a.startsWith(unknown)) ?? unknown;
      throw new UsageError(
        `countd ${command}: unknown option '${unknown}'; a counter name or value that starts ` +
          `with '-' goes after --, as in: countd ${command} -- ${arg}`,
      );
    }
    throw new UsageError(`countd ${command}: ${message.replace(/\. To specify .*$/s, '')}`);
  }
}

/** Refuses positionals, for a command that takes flags only. */
export function refusePositionals(command: string, parsed: ParsedArgs): void {
  const [extra] = parsed.positionals;
  if (extra !== undefined)
    throw new UsageError(`countd ${command}: unexpected argument "${extra}"`);
}

/** Reads a string flag, or undefined. */
export function stringFlag(parsed: ParsedArgs, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Parses an integer flag within bounds, naming the flag in the error. */
export function intFlag(
  parsed: ParsedArgs,
  name: string,
  fallback: number,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  const raw = stringFlag(parsed, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw.replace(/_/g, '')))
    throw new UsageError(`--${name}: "${raw}" is not an integer`);
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name}: ${raw} is out of range (${min}..${max})`);
  }
  return value;
}

/** Parses a decimal flag within bounds, naming the flag in the error. */
export function numberFlag(
  parsed: ParsedArgs,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = stringFlag(parsed, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name}: "${raw}" must be a number from ${min} to ${max}`);
  }
  return value;
}

/** Reads names from positionals, or one per line from stdin when the only positional is `-`. */
export async function namesFromArgs(
  positionals: readonly string[],
  stdin: NodeJS.ReadableStream,
  command: string,
): Promise<string[]> {
  if (positionals.length === 1 && positionals[0] === '-') {
    return (await readUtf8Lines(stdin, command)).filter((line) => line !== '');
  }
  if (positionals.length === 0)
    throw new UsageError(
      `countd ${command}: give at least one counter name, or - to read names from stdin`,
    );
  return [...positionals];
}
