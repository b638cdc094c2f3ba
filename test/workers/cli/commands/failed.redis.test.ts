import { createServer } from 'node:net';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { retryPayload, type JobPayload } from '../../../../src/jobs/index.js';
import { retryRecordLine } from '../../../../workers/cli/commands/failed/retry-record.js';
import { uniquePrefix, useRedisServers } from '../../../support/redis-harness.js';
import { runCli } from './run-cli.js';

type Pairs = Array<[string, number]>;

/** A job to put in the failed set: what it carries, why it fails, what its worker records. */
interface FailedJobSpec {
  readonly id: string;
  readonly data: unknown;
  readonly reason: string;
  /** Written as `r` before failing, as a worker does when nodes refused these pairs. */
  readonly unapplied?: Pairs;
}

const REFUSED = 'counters refused, the others were applied: 1 increment not applied: ';

function payload(c: Pairs, b?: string): JobPayload {
  return { v: 1, t: Date.now() - 60_000, c, n: c.length, ...(b === undefined ? {} : { b }) };
}

describe('countd failed', () => {
  const redis = useRedisServers({ count: 1 });
  let queue: Queue | undefined;
  let env: Record<string, string>;

  afterEach(async () => {
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    queue = undefined;
  });

  /** A fresh queue whose failed set holds `specs`, failed by a throwaway BullMQ worker. */
  async function failedQueue(specs: readonly FailedJobSpec[]): Promise<Queue> {
    const name = uniquePrefix('cli-failed').replace(/:/g, '.');
    const connection = { host: redis.server(0).host, port: redis.server(0).port };
    env = { COUNTD_QUEUE_URL: redis.server(0).url, COUNTD_QUEUE_NAME: name };
    queue = new Queue(name, { connection });
    for (const spec of specs) {
      await queue.add('incr', spec.data, { jobId: spec.id, attempts: 1, removeOnFail: false });
    }
    await failAll(name, specs);
    return queue;
  }

  async function failAll(name: string, specs: readonly FailedJobSpec[]): Promise<void> {
    const byId = new Map(specs.map((s) => [s.id, s]));
    let failed = 0;
    const connection = { host: redis.server(0).host, port: redis.server(0).port };
    const worker = new Worker(
      name,
      async (job: Job) => {
        const spec = byId.get(job.id!)!;
        if (spec.unapplied !== undefined)
          await job.updateData({ ...(job.data as object), r: spec.unapplied });
        throw new UnrecoverableError(spec.reason);
      },
      { connection, concurrency: 10 },
    );
    const done = new Promise<void>((resolve) =>
      worker.on('failed', () => {
        if (++failed === specs.length) resolve();
      }),
    );
    await done;
    await worker.close();
  }

  const REFUSED_JOB: FailedJobSpec = {
    id: 'p1-7',
    data: payload(
      [
        ['n2:views', 5],
        ['page:home', 1],
        ['page:about', -1],
      ],
      'Tok3nOfBatch7xyz',
    ),
    reason: `${REFUSED}n2:views +5 on node b: ERR hash value is not an integer (hash t.t:12)`,
    unapplied: [['n2:views', 5]],
  };
  const MALFORMED_JOB: FailedJobSpec = {
    id: 'p1-8',
    data: { v: 1, t: 5, c: 'oops' },
    reason: 'malformed job p1-8: "c" must be an array of [name, delta], got "oops"',
  };
  const OLD_REFUSED_JOB: FailedJobSpec = {
    id: 'p0-3',
    data: payload([
      ['big', 9],
      ['small', 2],
    ]),
    reason:
      'counters refused, the others were applied: big (ERR increment or decrement would overflow)',
  };
  const OTHER_JOB: FailedJobSpec = {
    id: 'p1-9',
    data: payload([['page:home', 4]], 'OtherBatch00000a'),
    reason: 'job stalled more than allowable limit',
  };
  const ALL = [REFUSED_JOB, MALFORMED_JOB, OLD_REFUSED_JOB, OTHER_JOB];

  it('list prints a table of the failed jobs: pairs, unapplied pairs, what retry would do, reason', async () => {
    await failedQueue(ALL);
    const result = await runCli(['failed', 'list'], { env });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^JOB\s+FAILED\s+PAIRS\s+COUNTERS\s+UNAPPLIED\s+RETRY\s+REASON$/);
    expect(lines).toHaveLength(ALL.length + 2);
    const row = (id: string) => lines.find((l) => l.startsWith(`${id} `))!;
    expect(row('p1-7')).toMatch(
      /^p1-7 +\ds ago +3 +n2:views \+5, page:home \+1, page:about -1 +n2:views \+5 +unapplied pairs +counters refused, the others were applied: 1 increment not applied: n2:views \+5 on node b: ERR hash value is not an integer \(hash t\.t:12\)$/,
    );
    expect(row('p1-8')).toMatch(/^p1-8 .* - +\(malformed\) +- +no +malformed job p1-8: "c" must/);
    expect(row('p0-3')).toMatch(/^p0-3 .* 2 +big \+9, small \+2 +- +no +counters refused/);
    expect(row('p1-9')).toMatch(/^p1-9 .* 1 +page:home \+4 +- +whole job +job stalled/);
  });

  it('list --json prints a documented array, one object per job', async () => {
    await failedQueue(ALL);
    const result = await runCli(['failed', 'list', '--json'], { env });
    expect(result.code).toBe(0);
    const views = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(views.map((v) => v.id).sort()).toEqual(['p0-3', 'p1-7', 'p1-8', 'p1-9']);
    const byId = new Map(views.map((v) => [v.id, v]));
    expect(byId.get('p1-7')).toMatchObject({
      reason: REFUSED_JOB.reason,
      attempts: 1,
      counters: (REFUSED_JOB.data as JobPayload).c,
      unapplied: [['n2:views', 5]],
      retry: 'unapplied',
      why: null,
    });
    const refused = byId.get('p1-7')!;
    expect(Date.parse(refused.failedAt as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(refused.ageSeconds).toBeLessThan(60);
    expect(Date.parse(refused.enqueuedAt as string)).toBeLessThanOrEqual(
      Date.parse(refused.failedAt as string),
    );
    expect(byId.get('p1-8')).toMatchObject({ counters: null, unapplied: null, retry: 'no' });
    expect(byId.get('p1-8')!.why).toMatch(/^malformed payload \("c" must be an array/);
    expect(byId.get('p0-3')).toMatchObject({ unapplied: null, retry: 'no' });
    expect(byId.get('p0-3')!.why).toMatch(/did not record which pairs it applied/);
    expect(byId.get('p1-9')).toMatchObject({ retry: 'whole', why: null });
  });

  it('list pages through with --limit and --offset, saying how many more', async () => {
    await failedQueue(ALL);
    const first = await runCli(['failed', 'list', '--json', '--limit', '3'], { env });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toHaveLength(3);
    expect(first.stderr).toBe(
      'countd failed list: showed 1-3 of 4 failed jobs; 1 more: --offset 3\n',
    );
    const rest = await runCli(['failed', 'list', '--json', '--limit', '3', '--offset', '3'], {
      env,
    });
    const ids = [...JSON.parse(first.stdout), ...JSON.parse(rest.stdout)].map(
      (v: { id: string }) => v.id,
    );
    expect(ids.sort()).toEqual(['p0-3', 'p1-7', 'p1-8', 'p1-9']);
    expect(rest.stderr).toBe('countd failed list: showed 4-4 of 4 failed jobs\n');

    await queue!.obliterate({ force: true });
    const empty = await runCli(['failed', 'list'], { env });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/^JOB +FAILED/);
    expect(empty.stderr).toMatch(/no failed jobs in queue/);
  });

  it('retry re-queues only the unapplied pairs under a derived batch token; again is harmless', async () => {
    const q = await failedQueue([REFUSED_JOB]);
    const result = await runCli(['failed', 'retry', 'p1-7'], { env });
    expect(result).toEqual({
      code: 0,
      stdout: 'p1-7\tre-queued the 1 unapplied of its 3 pairs as batch Tok3nOfBatch7xyz.r\n',
      stderr: '',
    });
    const job = (await q.getJob('p1-7'))!;
    expect(await job.getState()).toBe('waiting');
    const data = job.data as JobPayload;
    expect(data.c).toEqual(REFUSED_JOB.unapplied);
    expect(data.b).toBe('Tok3nOfBatch7xyz.r');
    expect(data.b).not.toBe((REFUSED_JOB.data as JobPayload).b);
    expect(data.r).toBeUndefined();
    expect(data).toEqual(
      retryPayload({ ...(REFUSED_JOB.data as JobPayload), r: [['n2:views', 5]] }),
    );

    const again = await runCli(['failed', 'retry', 'p1-7'], { env });
    expect(again).toEqual({
      code: 0,
      stdout: 'p1-7\tnot failed (waiting): left as is\n',
      stderr: '',
    });
    expect((await q.getJob('p1-7'))!.data).toEqual(data);
    expect(await q.getWaitingCount()).toBe(1);
  });

  it('retry re-queues a job failed for another reason as is', async () => {
    const q = await failedQueue([OTHER_JOB]);
    const result = await runCli(['failed', 'retry', 'p1-9'], { env });
    expect(result).toEqual({ code: 0, stdout: 'p1-9\tre-queued whole: 1 pair\n', stderr: '' });
    const job = (await q.getJob('p1-9'))!;
    expect(await job.getState()).toBe('waiting');
    expect(job.data).toEqual(OTHER_JOB.data);
  });

  it('retry leaves malformed jobs and unrecorded refusals failed, saying why, exit 1', async () => {
    const q = await failedQueue([MALFORMED_JOB, OLD_REFUSED_JOB]);
    const result = await runCli(['failed', 'retry', 'p1-8', 'p0-3', 'nope-1'], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'countd failed retry: job p1-8 not re-queued: malformed payload ("c" must be an array of ' +
        '[name, delta], got "oops"): it cannot be applied as is\n' +
        'countd failed retry: job p0-3 not re-queued: counters were refused, but the worker ' +
        'that failed it did not record which pairs it applied (countd 0.1.0, or the record ' +
        'could not be written): re-queueing it would count those twice\n' +
        `countd failed retry: job nope-1 not re-queued: no such job in queue "${env.COUNTD_QUEUE_NAME}" ` +
        '(never added, or completed and removed)\n' +
        'countd failed retry: 3 of 3 jobs not re-queued\n',
    );
    for (const id of ['p1-8', 'p0-3']) expect(await q.getJobState(id)).toBe('failed');
    expect((await q.getJob('p0-3'))!.data).toEqual(OLD_REFUSED_JOB.data);
  });

  it('retry --all re-queues what it can, names the rest, exit 1 while any is left', async () => {
    const q = await failedQueue(ALL);
    const result = await runCli(['failed', 'retry', '--all'], { env });
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'p1-7\tre-queued the 1 unapplied of its 3 pairs as batch Tok3nOfBatch7xyz.r',
      'p1-9\tre-queued whole: 1 pair',
    ]);
    expect(result.stderr).toMatch(/job p1-8 not re-queued: malformed payload/);
    expect(result.stderr).toMatch(/job p0-3 not re-queued: counters were refused/);
    expect(result.stderr).toMatch(/2 of 4 jobs not re-queued\n$/);
    expect(await q.getWaitingCount()).toBe(2);
    expect(await q.getFailedCount()).toBe(2);

    // Only the two that cannot be retried are left: --all again retries nothing, still says so.
    const again = await runCli(['failed', 'retry', '--all'], { env });
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/2 of 2 jobs not re-queued/);

    await q.obliterate({ force: true });
    const none = await runCli(['failed', 'retry', '--all'], { env });
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(none.stderr).toMatch(/no failed jobs in queue/);
  });

  it('retry completes a retry interrupted between rewrite and re-queue, with the same token', async () => {
    const q = await failedQueue([REFUSED_JOB]);
    // What `failed retry` had done when it was killed before job.retry: record, then rewrite.
    const job = (await q.getJob('p1-7'))!;
    const rewritten = retryPayload(job.data as JobPayload)!;
    await job.log(retryRecordLine(rewritten.b!, rewritten.c.length, job.attemptsMade));
    await job.updateData(rewritten);

    const listed = await runCli(['failed', 'list', '--json'], { env });
    expect(JSON.parse(listed.stdout)).toMatchObject([
      { id: 'p1-7', counters: [['n2:views', 5]], retry: 'rewritten' },
    ]);
    const result = await runCli(['failed', 'retry', 'p1-7'], { env });
    expect(result).toEqual({
      code: 0,
      stdout:
        'p1-7\tre-queued as rewritten by an interrupted retry: 1 unapplied pair as batch Tok3nOfBatch7xyz.r\n',
      stderr: '',
    });
    const after = (await q.getJob('p1-7'))!;
    expect(await after.getState()).toBe('waiting');
    expect(after.data).toEqual(rewritten);
  });

  it('retry refuses a rewritten job that was processed since and failed without a record', async () => {
    const q = await failedQueue([REFUSED_JOB]);
    expect((await runCli(['failed', 'retry', 'p1-7'], { env })).code).toBe(0);
    // A worker takes the re-queued job, applies part of it and fails it without writing `r`:
    // its payload is still the rewrite, but re-queueing it whole would count that part twice.
    await failAll(q.name, [{ ...REFUSED_JOB, unapplied: undefined }]);
    const job = (await q.getJob('p1-7'))!;
    expect(job.attemptsMade).toBe(2);
    const result = await runCli(['failed', 'retry', 'p1-7'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/job p1-7 not re-queued: counters were refused, but the worker/);
    expect(await job.getState()).toBe('failed');

    // A worker that records `r` again: the retry of the retry gets a token of its own.
    await job.updateData({ ...(job.data as JobPayload), r: [['n2:views', 5]] });
    const retried = await runCli(['failed', 'retry', 'p1-7'], { env });
    expect(retried.stdout).toBe(
      'p1-7\tre-queued the 1 unapplied of its 1 pair as batch Tok3nOfBatch7xyz.r.r\n',
    );
  });

  it('exits 2 with usage on bad arguments, before touching the queue', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['failed'], /give a subcommand, list or retry/],
      [['failed', 'show'], /unknown subcommand "show"/],
      [['failed', 'list', '--bogus'], /--bogus/],
      [['failed', 'list', 'p1-7'], /unexpected argument "p1-7"/],
      [['failed', 'list', '--limit', '0'], /--limit: 0 is out of range/],
      [['failed', 'list', '--limit', 'many'], /--limit: "many" is not an integer/],
      [['failed', 'list', '--offset', '-1'], /--offset/],
      [['failed', 'retry'], /give the ids of the jobs to retry, or --all/],
      [['failed', 'retry', '--all', 'p1-7'], /job ids or --all, not both/],
      [['failed', 'retry', '--force', 'p1-7'], /--force/],
      [['failed', 'retry', ''], /must not be empty/],
    ];
    const unreachable = { COUNTD_QUEUE_URL: 'redis://127.0.0.1:1' };
    for (const [argv, message] of cases) {
      const result = await runCli(argv, { env: unreachable });
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toMatch(message);
      expect(result.stdout).toBe('');
    }
    const noQueue = await runCli(['failed', 'list'], { env: { COUNTD_NODES: 'a=redis://x:1' } });
    expect(noQueue.code).toBe(2);
    expect(noQueue.stderr).toMatch(/COUNTD_QUEUE_URL: not set/);
  });

  it('exits 1 naming the queue when its Redis is unreachable, without the password', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    const down = { COUNTD_QUEUE_URL: `redis://:s3cret@127.0.0.1:${port}` };
    for (const argv of [
      ['failed', 'list'],
      ['failed', 'retry', 'p1-7'],
    ]) {
      const started = Date.now();
      const result = await runCli(argv, { env: down });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`queue "countd" on redis://:***@127.0.0.1:${port}`);
      expect(result.stderr + result.stdout).not.toContain('s3cret');
    }
  });

  it('--help describes both subcommands and the exit codes', async () => {
    const result = await runCli(['failed', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/countd failed list \[--json\]/);
    expect(result.stdout).toMatch(/countd failed retry <jobId>\.\.\. \| --all/);
    expect(result.stdout).toMatch(/Exit codes: 0 ok/);
    expect((await runCli(['--help'])).stdout).toMatch(/\n {2}failed +list failed jobs/);
  });
});
