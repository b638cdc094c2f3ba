import type { Redis } from 'ioredis';
import {
  SETTINGS,
  parseConfig,
  requireQueue,
  type CountdConfig,
} from '../../../src/config/index.js';
import { CountdKeys } from '../../../src/keys/index.js';
import { closeConnection } from '../../../src/redis/index.js';
import {
  layoutOf,
  planChange,
  proposeRing,
  readRingState,
  type RingChangeKind,
  type RingRecord,
  type RingState,
} from '../../../src/ring-change/index.js';
import { FIT_GROWTH, fittedBuckets, measureNodeFill } from '../../../src/storage/index.js';
import { EXIT_FAILURE, EXIT_OK, type CommandIo } from '../command.js';
import { configFlagValues } from '../config-flags.js';
import type { Subcommand } from '../run-subcommand.js';
import { parseRingChangeArgs, type RingChangeArgs } from './ring-change-args.js';
import { changeTitle, ringChangeRunner, runToEnd } from './ring-change-run.js';
import { startDetachedRunner } from './ring-detached-runner.js';
import { RingNodeClients } from './ring-node-clients.js';
import { formatPlan, planReport } from './ring-plan-format.js';
import { queueClient } from './ring-status.js';

/**
 * `countd ring add|remove|reweight|layout`: proposes the next ring version and carries it out
 * (docs/ring.md, "Changing the ring live"). `--dry-run` prints what would move; `--wait` runs the
 * change here to its end; without it, a detached `countd ring resume --wait` runs it and this
 * command returns once the change is begun.
 */
export function ringChangeCommand(kind: RingChangeKind): Subcommand {
  return async (args, io) => {
    const ask = parseRingChangeArgs(kind, args);
    // `--buckets` names the new layout here (a count or `fit`), not this process's COUNTD_BUCKETS.
    const flags = configFlagValues(ask.parsed);
    delete flags['buckets'];
    const config = parseConfig(io.env, flags);
    const queue = queueClient(requireQueue(config));
    const nodes = new RingNodeClients(config, ask.added);
    try {
      const keys = new CountdKeys(config.prefix);
      const state = await readRingState(queue, keys, config.queueName);
      const from = baseRing(state);
      if (from === undefined) {
        io.stderr.write(`countd ring ${kind}: ${noRing(config.queueName)}\n`);
        return EXIT_FAILURE;
      }
      const running = state.change;
      let request = ask.request;
      if (ask.fitBuckets) {
        if (running !== undefined) {
          io.stderr.write(
            `countd ring layout --buckets fit: a change is in progress (phase ${running.phase}); ` +
              'the fit counts a settled ring: let it finish (countd ring resume), then fit\n',
          );
          return EXIT_FAILURE;
        }
        const buckets = await fitBuckets(from, nodes, io);
        if (buckets === undefined) return EXIT_OK;
        request = { ...request, kind: 'layout', buckets };
      }
      const to = proposeRing(from, request);
      if (running !== undefined && running.to.fingerprint !== to.fingerprint) {
        io.stderr.write(
          `countd ring ${kind}: another change is in progress (${changeTitle(running.from, running.to)}, ` +
            `phase ${running.phase}); it must finish first: countd ring resume carries it on\n`,
        );
        return EXIT_FAILURE;
      }
      try {
        if (ask.dryRun) return await dryRun(kind, from, to, nodes, io, ask.json);
        return await begin(kind, to, ask, { config, queue, nodes }, running !== undefined, io);
      } catch (err) {
        reportUnreachable(`ring ${kind}`, nodes, io);
        throw err;
      }
    } finally {
      await Promise.all([closeConnection(queue), nodes.close()]);
    }
  };
}

/**
 * `--buckets fit`: counts every node's hashes under the current layout and derives the hashes per
 * node that keep them listpacks with room to grow (docs/storage-layout.md, "Choosing the bucket
 * count"). Undefined, after saying so, when the current count is enough: fit never shrinks.
 */
async function fitBuckets(
  from: RingRecord,
  nodes: RingNodeClients,
  io: CommandIo,
): Promise<number | undefined> {
  const layout = layoutOf(from);
  const clients = nodes.forRings(from);
  const fills = await Promise.all(
    from.nodes.map((n) => measureNodeFill(n.id, clients.get(n.id)!, layout)),
  );
  const fitted = fittedBuckets(fills);
  for (const f of fills)
    io.stderr.write(
      `node ${f.node}: ${f.counters.toLocaleString('en-US')} counters in ${from.buckets} hashes, ` +
        `the fullest ${f.fullest} fields; hash-max-listpack-entries ${f.listpackEntries}` +
        `${f.listpackKnown ? '' : ' (assumed: the node refused CONFIG GET)'}\n`,
    );
  if (fitted <= from.buckets) {
    io.stderr.write(
      `the layout fits: ${from.buckets} hashes per node hold ${FIT_GROWTH}× these counters as ` +
        `listpacks (${fitted} would); nothing to change\n`,
    );
    return undefined;
  }
  io.stderr.write(
    `fitted: ${fitted} hashes per node (${FIT_GROWTH}× the counters of the fullest node, ` +
      'each hash kept a listpack)\n',
  );
  return SETTINGS.buckets.parse(String(fitted), '--buckets fit');
}

/**
 * The ring a change starts from: the current one, or the `from` of the change in progress, so
 * that running the command of that change again names the same target (and resumes it).
 */
function baseRing(state: RingState): RingRecord | undefined {
  return state.change?.from ?? state.ring;
}

/** Why nothing can change before a worker ran: the first worker registers version 1. */
export function noRing(queueName: string): string {
  return (
    `no ring is registered for queue "${queueName}" yet: start a worker first ` +
    '(the first worker registers its COUNTD_NODES as ring version 1)'
  );
}

async function dryRun(
  kind: RingChangeKind,
  from: RingRecord,
  to: RingRecord,
  nodes: RingNodeClients,
  io: CommandIo,
  json: boolean,
): Promise<number> {
  const report = planReport(kind, await planChange(from, to, nodes.forRings(from, to)));
  io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatPlan(report));
  return EXIT_OK;
}

/** What `countd ring <change> --json` prints when the change was begun, not awaited. */
export interface StartedReport {
  readonly started: true;
  readonly resumed: boolean;
  readonly kind: RingChangeKind;
  readonly from: number;
  readonly to: number;
  readonly phase: string;
  readonly runner: { readonly pid: number; readonly log: string };
  readonly follow: 'countd ring status';
}

async function begin(
  kind: RingChangeKind,
  to: RingRecord,
  ask: RingChangeArgs,
  context: { config: CountdConfig; queue: Redis; nodes: RingNodeClients },
  resumed: boolean,
  io: CommandIo,
): Promise<number> {
  const runner = ringChangeRunner({ ...context, pacing: ask.pacing });
  const change = await runner.begin(kind, to);
  if (ask.wait) return runToEnd(runner, change, io, ask.json);
  // A node COUNTD_NODES already names is reached through it by the runner too.
  const configured = context.config.nodes?.some((n) => n.id === ask.added?.id) === true;
  const detached = await startDetachedRunner(
    io,
    ask.parsed,
    context.config.queueName,
    change.to.version,
    configured ? undefined : ask.added,
    ask.pacing,
  );
  const report: StartedReport = {
    started: true,
    resumed,
    kind,
    from: change.from.version,
    to: change.to.version,
    phase: change.phase,
    runner: detached,
    follow: 'countd ring status',
  };
  io.stdout.write(
    ask.json
      ? `${JSON.stringify(report)}\n`
      : `ring change ${resumed ? 'resumed' : 'begun'}: ${changeTitle(change.from, change.to)} ` +
          `(phase ${change.phase})\n` +
          `carried out by process ${detached.pid}, log ${detached.log}\n` +
          'follow it with: countd ring status\n',
  );
  return EXIT_OK;
}

/** Names the nodes that could not be reached: ioredis's own error names none. */
export function reportUnreachable(command: string, nodes: RingNodeClients, io: CommandIo): void {
  const unreachable = nodes.unreachable();
  if (unreachable !== undefined)
    io.stderr.write(`countd ${command}: cannot reach ${unreachable}\n`);
}
