import type { Redis } from 'ioredis';
import type { CountdConfig } from '../../../src/config/index.js';
import {
  RingChangeRunner,
  type RingChangeKind,
  type RingChangeRecord,
  type RingRecord,
} from '../../../src/ring-change/index.js';
import { EXIT_FAILURE, EXIT_OK, type CommandIo } from '../command.js';
import { RingProgressLine } from './ring-progress.js';
import type { RingNodeClients } from './ring-node-clients.js';
import type { Pacing } from './ring-change-args.js';
import { describeChange } from './ring-status-report.js';

/** What a change command's runner needs beside the target. */
export interface RunnerContext {
  readonly config: CountdConfig;
  readonly queue: Redis;
  readonly nodes: RingNodeClients;
  readonly pacing: Pacing;
}

export function ringChangeRunner(context: RunnerContext): RingChangeRunner {
  const { config, queue, nodes, pacing } = context;
  return new RingChangeRunner({
    queue,
    queueName: config.queueName,
    connect: nodes.connect,
    ...(pacing.batch === undefined ? {} : { batchSize: pacing.batch }),
    ...(pacing.maxRate === undefined ? {} : { maxMoveRate: pacing.maxRate }),
    minReplicas: config.minReplicas,
    replicaWaitMs: config.replicaWaitMs,
  });
}

/** What `--wait --json` prints once the change is done (docs/ring.md, "Command line"). */
export interface DoneReport {
  readonly done: true;
  readonly kind: RingChangeKind;
  readonly description: string;
  readonly from: number;
  readonly to: number;
  readonly moved: number;
  readonly seconds: number;
}

/**
 * Runs a begun change to its end in this process, showing its progress on stderr; Ctrl-C stops
 * it between steps (exit 1), and `countd ring resume` carries it on from there.
 */
export async function runToEnd(
  runner: RingChangeRunner,
  change: RingChangeRecord,
  io: CommandIo,
  json: boolean,
): Promise<number> {
  const started = performance.now();
  const progress = new RingProgressLine(io.stderr);
  let moved = change.moved;
  runner.on('progress', (p) => {
    moved = p.moved;
    progress.update(p);
  });
  try {
    await runner.run(io.stopSignal);
  } catch (err) {
    progress.stop();
    if (io.stopSignal.aborted) return stopped(io);
    throw err;
  }
  progress.stop();
  if (io.stopSignal.aborted) return stopped(io);
  const report: DoneReport = {
    done: true,
    kind: change.kind,
    description: describeChange(change.from, change.to),
    from: change.from.version,
    to: change.to.version,
    moved,
    seconds: (performance.now() - started) / 1000,
  };
  io.stdout.write(
    json
      ? `${JSON.stringify(report)}\n`
      : `ring version ${report.to} in place: ${report.description}; ` +
          `${moved.toLocaleString('en-US')} counters moved in ${report.seconds.toFixed(1)}s\n`,
  );
  return EXIT_OK;
}

function stopped(io: CommandIo): number {
  io.stderr.write(
    'countd ring: stopped; the change stays in progress (workers keep running on it): ' +
      'countd ring resume carries it on, countd ring status shows where it is\n',
  );
  return EXIT_FAILURE;
}

/** The change as `ring status` names it: `add d (weight 1), version 1 → 2`. */
export function changeTitle(from: RingRecord, to: RingRecord): string {
  return `${describeChange(from, to)}, version ${from.version} → ${to.version}`;
}
