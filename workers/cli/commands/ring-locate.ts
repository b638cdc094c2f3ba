import { once } from 'node:events';
import { namesFromArgs, parseCommandArgs } from '../args.js';
import { EXIT_OK, type CommandIo } from '../command.js';
import { RING_FLAGS, ringFromArgs } from './ring-from-args.js';

/** `countd ring locate`: prints `name<TAB>nodeId` per name, on the ring the settings describe. */
export async function ringLocate(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs('ring locate', args, RING_FLAGS);
  const ring = ringFromArgs(parsed, io.env);
  const names = await namesFromArgs(parsed.positionals, io.stdin, 'ring locate');
  // Chunks keep memory flat for millions of names from stdin and respect backpressure.
  for (let start = 0; start < names.length; start += 10_000) {
    const lines = names
      .slice(start, start + 10_000)
      .map((name) => `${name}\t${ring.locate(name)}\n`);
    if (!io.stdout.write(lines.join(''))) await once(io.stdout, 'drain');
  }
  return EXIT_OK;
}
