import type { CommandIo } from './command.js';
import { UsageError } from './usage-error.js';

export type Subcommand = (args: readonly string[], io: CommandIo) => Promise<number>;

/** Runs the subcommand `args[0]` names (`countd failed list`), or refuses naming those there are. */
export async function runSubcommand(
  command: string,
  subcommands: Readonly<Record<string, Subcommand>>,
  args: readonly string[],
  io: CommandIo,
): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== undefined && Object.hasOwn(subcommands, sub)) return subcommands[sub]!(rest, io);
  const names = Object.keys(subcommands).join(' or ');
  throw new UsageError(
    sub === undefined
      ? `countd ${command}: give a subcommand, ${names} (see countd ${command} --help)`
      : `countd ${command}: unknown subcommand "${sub}" (expected ${names})`,
  );
}
