import type { Command } from '../../command.js';
import { CONFIG_FLAGS_HELP } from '../../config-flags.js';
import { runSubcommand } from '../../run-subcommand.js';
import { DEFAULT_LIST_LIMIT, failedList } from './failed-list.js';
import { failedRetry } from './failed-retry.js';

const HELP = `countd failed: jobs of the queue that workers failed, and applying them once fixed

Usage:
  countd failed list [--json] [--limit N] [--offset N]   [config flags]
  countd failed retry <jobId>... | --all                 [config flags]

  list    prints the failed jobs of the queue (COUNTD_QUEUE_URL, COUNTD_QUEUE_NAME), newest
          failure first: job id, how long ago it failed, its pairs, the pairs left unapplied
          when the worker recorded them, what retry would do, and the reason. A note on
          stderr says how many more there are.
  retry   re-queues failed jobs so that each increment is applied exactly once:
          - a job whose worker recorded the pairs it did not apply (refused counters) is
            rewritten to those pairs only, under a batch token derived from the job's, then
            re-queued: the pairs already applied are not applied again;
          - a job failed for another reason is re-queued as is;
          - a malformed payload is not retried (it cannot be applied as is), nor a job with
            refused counters whose worker (countd 0.1.0) did not record what it applied
            (it would count those twice).
          Running retry again, or after it was interrupted, is harmless: a job no longer
          failed is left as is. Prints job<TAB>what was done per job; jobs not re-queued
          are named on stderr with the reason.

Options:
  --json       list as a JSON array of objects (see docs/failed-jobs.md)
  --limit N    list at most N jobs (default ${DEFAULT_LIST_LIMIT})
  --offset N   skip the N most recent failures (the next page)
  --all        retry every job failed when the command starts

${CONFIG_FLAGS_HELP}

Exit codes: 0 ok (every job named was re-queued or no longer failed), 1 a job could not be
re-queued or the queue Redis failed, 2 bad usage or configuration.
`;

export const failedCommand: Command = {
  name: 'failed',
  summary: 'list failed jobs; re-apply them once fixed: countd failed list|retry',
  help: HELP,
  run: (args, io) => runSubcommand('failed', { list: failedList, retry: failedRetry }, args, io),
};
