import type { Job, Queue } from 'bullmq';
import { parseConfig } from '../../../../src/config/index.js';
import { encodeJobPayload } from '../../../../src/jobs/index.js';
import { parseCommandArgs } from '../../args.js';
import { EXIT_FAILURE, EXIT_OK, type CommandIo } from '../../command.js';
import { CONFIG_FLAG_OPTIONS, configFlagValues } from '../../config-flags.js';
import { UsageError } from '../../usage-error.js';
import { failedJobFacts, openQueue, queueProblem } from './failed-queue.js';
import { planProblem, planRetry } from './retry-plan.js';
import { retryRecordLine } from './retry-record.js';

/** What became of one job: `ok` false when it was left failed, `text` saying why. */
interface Outcome {
  readonly ok: boolean;
  readonly text: string;
}

/**
 * `countd failed retry <jobId>... | --all`. Exit 0 when every job named (with --all: every job
 * failed when the command started) was re-queued or was no longer failed; 1 when one could not
 * be (unknown id, malformed payload, applied pairs unknown) or the queue failed; 2 bad usage.
 */
export async function failedRetry(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs('failed retry', args, {
    ...CONFIG_FLAG_OPTIONS,
    all: { type: 'boolean' },
  });
  const all = parsed.values.all === true;
  if (all && parsed.positionals.length > 0) {
    throw new UsageError('countd failed retry: give job ids or --all, not both');
  }
  if (!all && parsed.positionals.length === 0) {
    throw new UsageError('countd failed retry: give the ids of the jobs to retry, or --all');
  }
  if (parsed.positionals.includes('')) {
    throw new UsageError('countd failed retry: a job id must not be empty');
  }
  const config = parseConfig(io.env, configFlagValues(parsed));
  const queue = openQueue(config);
  let done = 0;
  let ids: readonly string[] = [];
  try {
    // --all: the failed set as it is now; jobs failing while this runs wait for the next run.
    ids = all ? await queue.getRanges(['failed'], 0, -1) : [...new Set(parsed.positionals)];
    if (ids.length === 0) {
      io.stderr.write(`countd failed retry: no failed jobs in queue "${config.queueName}"\n`);
      return EXIT_OK;
    }
    let refused = 0;
    for (const id of ids) {
      const outcome = await retryOne(queue, config.queueName, id);
      done++;
      if (outcome.ok) io.stdout.write(`${id}\t${outcome.text}\n`);
      else {
        refused++;
        io.stderr.write(`countd failed retry: job ${id} not re-queued: ${outcome.text}\n`);
      }
    }
    if (refused > 0) {
      io.stderr.write(
        `countd failed retry: ${refused} of ${count(ids.length, 'job')} not re-queued\n`,
      );
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  } catch (err) {
    const left = ids.length - done;
    const untouched = left > 0 ? `; ${count(left, 'job')} not attempted` : '';
    io.stderr.write(`countd failed retry: ${queueProblem(config, err)}${untouched}\n`);
    return EXIT_FAILURE;
  } finally {
    await queue.close().catch(() => undefined);
  }
}

async function retryOne(queue: Queue, queueName: string, id: string): Promise<Outcome> {
  const job: Job | undefined = await queue.getJob(id);
  if (job === undefined) {
    return {
      ok: false,
      text: `no such job in queue "${queueName}" (never added, or completed and removed)`,
    };
  }
  const state = await job.getState();
  // Retried already (waiting, active) or done: running retry twice is harmless.
  if (state !== 'failed') return { ok: true, text: `not failed (${state}): left as is` };
  const facts = await failedJobFacts(queue, job);
  const plan = planRetry(facts);
  switch (plan.kind) {
    case 'unapplied': {
      const { retried } = plan;
      const pairs = retried.c.length;
      // Record, rewrite, re-queue: a run interrupted after any step is completed by the next
      // (see retry-record.ts); the token is derived, so two runs write the same payload.
      await job.log(retryRecordLine(retried.b!, pairs, facts.attemptsMade));
      // The stored form: a version 2 retry is flat again.
      await job.updateData(encodeJobPayload(retried));
      await job.retry('failed');
      return {
        ok: true,
        text: `re-queued the ${pairs} unapplied of its ${count(plan.payload.c.length, 'pair')} as batch ${retried.b!}`,
      };
    }
    case 'rewritten':
      await job.retry('failed');
      return {
        ok: true,
        text: `re-queued as rewritten by an interrupted retry: ${count(plan.payload.c.length, 'unapplied pair')} as batch ${plan.payload.b!}`,
      };
    case 'whole':
      await job.retry('failed');
      return { ok: true, text: `re-queued whole: ${count(plan.payload.c.length, 'pair')}` };
    default:
      return { ok: false, text: planProblem(plan)! };
  }
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
