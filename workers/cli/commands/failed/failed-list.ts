import { once } from 'node:events';
import { parseConfig } from '../../../../src/config/index.js';
import { intFlag, parseCommandArgs, refusePositionals } from '../../args.js';
import { EXIT_FAILURE, EXIT_OK, type CommandIo } from '../../command.js';
import { CONFIG_FLAG_OPTIONS, configFlagValues } from '../../config-flags.js';
import { failedJobFacts, openQueue, queueProblem } from './failed-queue.js';
import { failedJobTable } from './failed-job-table.js';
import { failedJobView, type FailedJobView } from './failed-job-view.js';
import { planRetry } from './retry-plan.js';

export const DEFAULT_LIST_LIMIT = 100;
// Bounds one page: each job may carry 10,000 pairs.
const MAX_LIST_LIMIT = 10_000;

/** `countd failed list [--json] [--limit N] [--offset N]`: newest failure first. */
export async function failedList(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs('failed list', args, {
    ...CONFIG_FLAG_OPTIONS,
    json: { type: 'boolean' },
    limit: { type: 'string' },
    offset: { type: 'string' },
  });
  refusePositionals('failed list', parsed);
  const limit = intFlag(parsed, 'limit', DEFAULT_LIST_LIMIT, 1, MAX_LIST_LIMIT);
  const offset = intFlag(parsed, 'offset', 0, 0);
  const config = parseConfig(io.env, configFlagValues(parsed));
  const queue = openQueue(config);
  try {
    const total = await queue.getFailedCount();
    const jobs = await queue.getFailed(offset, offset + limit - 1);
    const now = Date.now();
    const views: FailedJobView[] = [];
    for (const job of jobs) {
      // A job removed between the two reads leaves a hole.
      if (job?.id === undefined) continue;
      const facts = await failedJobFacts(queue, job);
      views.push(failedJobView(job, facts, planRetry(facts), now));
    }
    const text = parsed.values.json === true ? `${JSON.stringify(views)}\n` : failedJobTable(views);
    if (!io.stdout.write(text)) await once(io.stdout, 'drain');
    const shownEnd = offset + views.length;
    if (total === 0) {
      io.stderr.write(`countd failed list: no failed jobs in queue "${config.queueName}"\n`);
    } else if (offset > 0 || shownEnd < total) {
      const range = views.length === 0 ? 'none' : `${offset + 1}-${shownEnd}`;
      const next = shownEnd < total ? `; ${total - shownEnd} more: --offset ${shownEnd}` : '';
      io.stderr.write(`countd failed list: showed ${range} of ${total} failed jobs${next}\n`);
    }
    return EXIT_OK;
  } catch (err) {
    io.stderr.write(`countd failed list: ${queueProblem(config, err)}\n`);
    return EXIT_FAILURE;
  } finally {
    await queue.close().catch(() => undefined);
  }
}
