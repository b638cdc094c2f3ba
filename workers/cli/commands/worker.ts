import { parseConfig } from '../../../src/config/index.js';
import { runWorker } from '../../worker/run-worker.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_HELP, configFlagValues } from '../config-flags.js';
import { UsageError } from '../usage-error.js';

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
    const parsed = parseCommandArgs('worker', args, CONFIG_FLAG_OPTIONS);
    if (parsed.positionals.length > 0)
      throw new UsageError(`countd worker: unexpected argument "${parsed.positionals[0]}"`);
    const config = parseConfig(io.env, configFlagValues(parsed));
    return runWorker(config, io.stopSignal);
  },
};
