import { once } from 'node:events';
import { parseConfig } from '../../../src/config/index.js';
import { namesFromArgs, parseCommandArgs } from '../args.js';
import { EXIT_OK, type Command, type CommandIo } from '../command.js';
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_HELP, configFlagValues } from '../config-flags.js';
import { checkNames, jsonMember, readerFromConfig } from './reader-from-config.js';

// Names per getMany: millions of names from stdin stream through in flat memory.
const CHUNK = 10_000;

const HELP = `Usage: countd get [--json] <name>... | -   [config flags]

Prints the current value of each counter, read from its storage node (0 when it does not
exist): one line name<TAB>value per name given, in order. With -, reads the names from
stdin, one a line. Values are exact whatever their size (signed 64-bit).

Increments still buffered by workers are not included: they land within a flush interval.
With COUNTD_QUEUE_URL set, counters are read where the fleet's registered ring puts them,
and during a ring change from both locations of a moved counter (its whole value).

Options:
  --json    one JSON object {"name": value, ...} instead (a name given twice appears once);
            values are JSON numbers, exact even beyond 2^53

${CONFIG_FLAGS_HELP}

Exit codes: 0 ok, 1 a storage node failed or is unreachable (named in the message),
2 bad usage, counter name or configuration.
`;

export const getCommand: Command = {
  name: 'get',
  summary: 'print current counter values: countd get [--json] <name>... | -',
  help: HELP,
  async run(args: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseCommandArgs('get', args, {
      ...CONFIG_FLAG_OPTIONS,
      json: { type: 'boolean' },
    });
    const config = parseConfig(io.env, configFlagValues(parsed));
    const names = await namesFromArgs(parsed.positionals, io.stdin, 'get');
    checkNames('get', names);
    const json = parsed.values.json === true;
    const reader = readerFromConfig(config);
    try {
      const written = new Set<string>();
      if (json) await write(io, '{');
      for (let start = 0; start < names.length; start += CHUNK) {
        const chunk = names.slice(start, start + CHUNK);
        const values = await reader.getMany(chunk);
        let text = '';
        if (json) {
          for (const [name, value] of values) {
            if (written.has(name)) continue;
            text += `${written.size === 0 ? '' : ','}${jsonMember(name, value)}`;
            written.add(name);
          }
        } else {
          for (const name of chunk) text += `${name}\t${values.get(name)!.toString()}\n`;
        }
        await write(io, text);
      }
      if (json) await write(io, '}\n');
      return EXIT_OK;
    } finally {
      await reader.close();
    }
  },
};

async function write(io: CommandIo, text: string): Promise<void> {
  if (text !== '' && !io.stdout.write(text)) await once(io.stdout, 'drain');
}
