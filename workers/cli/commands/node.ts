import { Redis } from 'ioredis';
import { parseConfig, requireQueue, toRedisOptions } from '../../../src/config/index.js';
import { NodeIdentityError } from '../../../src/errors/index.js';
import { CountdKeys } from '../../../src/keys/index.js';
import { closeConnection } from '../../../src/redis/index.js';
import { acceptNode } from '../../../src/worker/index.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_HELP, configFlagValues } from '../config-flags.js';
import { UsageError } from '../usage-error.js';
import { nodeConnections } from '../../../src/config/ring-from-config.js';

export const nodeCommand: Command = {
  name: 'node',
  summary: 'storage node identity: countd node accept <id> [--force]',
  help: `Usage: countd node accept <id> [--force] [config flags]

Every storage node holds an identity (which fleet, which node id) that workers check before
each write. A node that lost it (restarted empty, replaced disk, another server behind its
address) or that holds another fleet's is refused: workers do not start (exit 2), running
workers keep its jobs held, report flush errors (reason "identity") and /readyz is not ready.

accept <id>   takes the server configured for node <id> (COUNTD_NODES) as the fleet's node
              <id> from now on, with a new identity; running workers resume at their next
              flush. Counters that server lost are not restored: restore its data first if
              you can (docs/guarantees.md).
--force       also when the server holds another fleet's identity (that fleet loses it).

${CONFIG_FLAGS_HELP}
`,
  async run(args, io) {
    const parsed = parseCommandArgs('node', args, {
      ...CONFIG_FLAG_OPTIONS,
      force: { type: 'boolean' },
    });
    const [action, id, extra] = parsed.positionals;
    if (action !== 'accept') throw new UsageError('countd node: expected "accept <id>"');
    if (id === undefined) throw new UsageError('countd node accept: give a node id');
    if (extra !== undefined) throw new UsageError(`countd node: unexpected argument "${extra}"`);
    const config = parseConfig(io.env, configFlagValues(parsed));
    const spec = nodeConnections(config).find((n) => n.id === id);
    if (spec === undefined) {
      const known = nodeConnections(config).map((n) => n.id);
      throw new UsageError(
        `countd node accept: no node "${id}" in COUNTD_NODES (${known.join(', ')})`,
      );
    }
    const queue = new Redis({ ...toRedisOptions(requireQueue(config)), maxRetriesPerRequest: 1 });
    const node = new Redis({ ...spec.connection, maxRetriesPerRequest: 1 });
    queue.on('error', () => undefined);
    node.on('error', () => undefined);
    try {
      const accepted = await acceptNode(
        queue,
        node,
        new CountdKeys(config.prefix),
        config.queueName,
        id,
        {
          force: parsed.values.force === true,
        },
      );
      io.stdout.write(
        `node ${id} accepted: identity ${accepted.identity}` +
          ` (it held ${accepted.previous ?? 'none'}; the fleet had ${accepted.registered ?? 'none'})\n` +
          'running workers resume writing it at their next flush\n',
      );
      return 0;
    } catch (err) {
      if (err instanceof NodeIdentityError) {
        io.stderr.write(`countd node accept: ${err.message}; add --force to take it anyway\n`);
        return 1;
      }
      throw err;
    } finally {
      await Promise.all([closeConnection(queue), closeConnection(node)]);
    }
  },
};
