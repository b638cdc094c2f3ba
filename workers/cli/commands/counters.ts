import { once } from 'node:events';
import { parseConfig } from '../../../src/config/index.js';
import { intFlag, parseCommandArgs } from '../args.js';
import { EXIT_OK, type Command, type CommandIo } from '../command.js';
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_HELP, configFlagValues } from '../config-flags.js';
import { UsageError } from '../usage-error.js';
import { jsonMember, readerFromConfig } from './reader-from-config.js';

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 100_000_000;

const HELP = `Usage: countd counters [--json] [--limit N] [<glob>]   [config flags]
       countd list ...   (the same)

Lists the counters whose name matches <glob> (default *) with their values, one line
name<TAB>value each, node by node (not sorted). The listing walks every node with SCAN and
HSCAN in bounded steps, so it is safe on a busy deployment; counters created or deleted
while it runs may be missed. With COUNTD_QUEUE_URL set, the nodes are those of the fleet's
registered ring; during a ring change both versions' nodes are listed, each name once.

Glob: Redis MATCH syntax on the UTF-8 bytes of names: * any run, ? one byte,
[abc] [^abc] [a-z] one byte of a set, \\x a literal x. Quote it for the shell.

Options:
  --json      one JSON object {"name": value, ...}; values exact JSON numbers
  --limit N   stop after N counters (default ${DEFAULT_LIMIT}; 0: no limit); a note on
              stderr says when more match

${CONFIG_FLAGS_HELP}

Exit codes: 0 ok, 1 a storage node failed or is unreachable, 2 bad usage or configuration.
`;

async function run(args: readonly string[], io: CommandIo, command: string): Promise<number> {
  const parsed = parseCommandArgs(command, args, {
    ...CONFIG_FLAG_OPTIONS,
    json: { type: 'boolean' },
    limit: { type: 'string' },
  });
  if (parsed.positionals.length > 1) {
    throw new UsageError(`countd ${command}: one glob at most (quote it for the shell)`);
  }
  const glob = parsed.positionals[0] ?? '*';
  if (glob === '') throw new UsageError(`countd ${command}: the glob must not be empty`);
  const limit = intFlag(parsed, 'limit', DEFAULT_LIMIT, 0, MAX_LIMIT);
  const json = parsed.values.json === true;
  const config = parseConfig(io.env, configFlagValues(parsed));
  const reader = readerFromConfig(config);
  try {
    let printed = 0;
    let more = false;
    let text = json ? '{' : '';
    for await (const [name, value] of reader.listAll(glob, { count: 1000 })) {
      if (limit !== 0 && printed === limit) {
        more = true;
        break;
      }
      text += json
        ? `${printed === 0 ? '' : ','}${jsonMember(name, value)}`
        : `${name}\t${value}\n`;
      printed++;
      if (text.length >= 64 * 1024) {
        if (!io.stdout.write(text)) await once(io.stdout, 'drain');
        text = '';
      }
    }
    io.stdout.write(json ? `${text}}\n` : text);
    if (more) {
      io.stderr.write(
        `countd ${command}: stopped after ${limit} counters; more match ${JSON.stringify(glob)} ` +
          '(raise --limit, 0 for all)\n',
      );
    }
    return EXIT_OK;
  } finally {
    await reader.close();
  }
}

export const countersCommand: Command = {
  name: 'counters',
  summary: 'list counters matching a glob with their values: countd counters [<glob>]',
  help: HELP,
  run: (args, io) => run(args, io, 'counters'),
};

/** `countd list`: another name for `countd counters`. */
export const listCommand: Command = {
  name: 'list',
  summary: 'same as counters',
  help: HELP,
  run: (args, io) => run(args, io, 'list'),
};
