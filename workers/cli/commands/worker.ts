import { limitHeapGrowth } from '../../process/heap-growth.js';
import { runWorker } from '../../worker/run-worker.js';
import type { Command } from '../command.js';
import { CONFIG_FLAGS_HELP, configFromFlagsOnly } from '../config-flags.js';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'run one aggregating worker (production)',
  help: `Usage: countd worker [config flags]

Takes increment jobs from the queue, aggregates them in memory and flushes them to the
storage nodes every flush interval. Needs COUNTD_QUEUE_URL and COUNTD_NODES (or the flags).
Serves /metrics, /healthz and /readyz on COUNTD_METRICS_HOST:COUNTD_METRICS_PORT.
SIGTERM/SIGINT drain: stop taking jobs, flush, complete, exit 0 (1 if the deadline passed).

${CONFIG_FLAGS_HELP}
`,
  async run(args, io) {
    limitHeapGrowth(process.execArgv, io.env['NODE_OPTIONS']);
    return runWorker(configFromFlagsOnly('worker', args, io.env), io.stopSignal);
  },
};
