import { parseConfig, requireQueue } from '../../../src/config/index.js';
import { CountdKeys } from '../../../src/keys/index.js';
import { closeConnection } from '../../../src/redis/index.js';
import { readRingState } from '../../../src/ring-change/index.js';
import { parseCommandArgs, refusePositionals } from '../args.js';
import { EXIT_OK, type CommandIo } from '../command.js';
import { CONFIG_FLAG_OPTIONS, configFlagValues } from '../config-flags.js';
import { PACING_FLAGS, parsePacing } from './ring-change-args.js';
import { reportUnreachable } from './ring-change-command.js';
import { changeTitle, ringChangeRunner, runToEnd } from './ring-change-run.js';
import { startDetachedRunner } from './ring-detached-runner.js';
import { RingNodeClients } from './ring-node-clients.js';
import { queueClient } from './ring-status.js';

/**
 * `countd ring resume [--wait]`: carries on the change in progress from where it stopped (the
 * process running it was killed, or Ctrl-C'd). Every step of a change can be done again, so
 * resuming is always safe; with no change in progress it says so and exits 0.
 */
export async function ringResume(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs('ring resume', args, {
    ...CONFIG_FLAG_OPTIONS,
    wait: { type: 'boolean' },
    json: { type: 'boolean' },
    ...PACING_FLAGS,
  });
  refusePositionals('ring resume', parsed);
  const json = parsed.values.json === true;
  const pacing = parsePacing(parsed);
  const config = parseConfig(io.env, configFlagValues(parsed));
  const queue = queueClient(requireQueue(config));
  const nodes = new RingNodeClients(config, undefined);
  try {
    const state = await readRingState(queue, new CountdKeys(config.prefix), config.queueName);
    const running = state.change;
    if (running === undefined) {
      io.stdout.write(
        json
          ? `${JSON.stringify({ resumed: false, version: state.ring?.version ?? null })}\n`
          : `no ring change in progress (ring version ${state.ring?.version ?? 'none'})\n`,
      );
      return EXIT_OK;
    }
    const runner = ringChangeRunner({ config, queue, nodes, pacing });
    const change = await runner.begin(running.kind, running.to);
    if (parsed.values.wait === true) {
      try {
        return await runToEnd(runner, change, io, json);
      } catch (err) {
        reportUnreachable('ring resume', nodes, io);
        throw err;
      }
    }
    const detached = await startDetachedRunner(
      io,
      parsed,
      config.queueName,
      change.to.version,
      undefined,
      pacing,
    );
    io.stdout.write(
      json
        ? `${JSON.stringify({ resumed: true, kind: change.kind, from: change.from.version, to: change.to.version, phase: change.phase, runner: detached, follow: 'countd ring status' })}\n`
        : `ring change resumed: ${changeTitle(change.from, change.to)} (phase ${change.phase})\n` +
            `carried out by process ${detached.pid}, log ${detached.log}\n` +
            'follow it with: countd ring status\n',
    );
    return EXIT_OK;
  } finally {
    await Promise.all([closeConnection(queue), nodes.close()]);
  }
}
