import { QueueKeys } from 'bullmq';
import type { Redis } from 'ioredis';

/** Ids read, and job hashes asked, per round trip. */
const CHUNK = 1000;

/**
 * Takes the jobs snapshot of a change into `setKey` (docs/ring.md, "fencing"): the id of every
 * job that was ever started and is not finished, i.e. active, or waiting (wait, paused,
 * prioritized, delayed) with `processedOn` set after a stall or a retry. Taken once every node
 * is fenced, it is settled for good: no part of another job can be applied under `from` any
 * more. Returns the size of the set. Adding again is harmless (a resumed fencing phase).
 */
export async function snapshotJobs(
  queue: Redis,
  setKey: string,
  queueName: string,
  bullPrefix: string,
): Promise<number> {
  const bull = new QueueKeys(bullPrefix);
  const key = (type: string) => bull.toKey(queueName, type);
  // Active is read whole before and after the waiting states: a job moving between them while
  // they are read is in one of the reads. Whole, because completed jobs leave it from anywhere
  // (LREM), so reading it by index ranges could skip some.
  await addIds(queue, setKey, await queue.lrange(key('active'), 0, -1));
  for (const list of ['wait', 'paused']) {
    // Workers take from the tail and new jobs come in at the head: index ranges from the head
    // may read a job twice, never skip one still there.
    for (let start = 0; ; start += CHUNK) {
      const ids = await queue.lrange(key(list), start, start + CHUNK - 1);
      await addIds(queue, setKey, await started(queue, bull, queueName, ids));
      if (ids.length < CHUNK) break;
    }
  }
  for (const zset of ['prioritized', 'delayed']) {
    // ZSCAN returns every member present for the whole scan, whatever leaves meanwhile.
    let cursor = '0';
    do {
      const [next, flat] = await queue.zscan(key(zset), cursor, 'COUNT', CHUNK);
      cursor = next;
      const ids = flat.filter((_, i) => i % 2 === 0);
      await addIds(queue, setKey, await started(queue, bull, queueName, ids));
    } while (cursor !== '0');
  }
  await addIds(queue, setKey, await queue.lrange(key('active'), 0, -1));
  return queue.scard(setKey);
}

/**
 * Removes from the snapshot the jobs that finished (completed and removed, or with
 * `finishedOn`), so a resumed settling phase starts from what is left; returns how many are
 * left.
 */
export async function pruneFinishedJobs(
  queue: Redis,
  setKey: string,
  queueName: string,
  bullPrefix: string,
): Promise<number> {
  const bull = new QueueKeys(bullPrefix);
  let cursor = '0';
  do {
    const [next, ids] = await queue.sscan(setKey, cursor, 'COUNT', CHUNK);
    cursor = next;
    if (ids.length === 0) continue;
    const pipeline = queue.pipeline();
    // `timestamp` tells a job hash that exists from one that is gone (both lack finishedOn).
    for (const id of ids) pipeline.hmget(bull.toKey(queueName, id), 'finishedOn', 'timestamp');
    const replies = (await pipeline.exec()) ?? [];
    const finished = ids.filter((_, i) => {
      const [err, value] = replies[i] ?? [new Error('no reply'), null];
      if (err) throw err;
      const [finishedOn, timestamp] = value as [string | null, string | null];
      return finishedOn !== null || timestamp === null;
    });
    if (finished.length > 0) await queue.srem(setKey, ...finished);
  } while (cursor !== '0');
  return queue.scard(setKey);
}

async function started(
  queue: Redis,
  bull: QueueKeys,
  queueName: string,
  ids: readonly string[],
): Promise<string[]> {
  if (ids.length === 0) return [];
  const pipeline = queue.pipeline();
  for (const id of ids) pipeline.hget(bull.toKey(queueName, id), 'processedOn');
  const replies = (await pipeline.exec()) ?? [];
  return ids.filter((_, i) => {
    const [err, value] = replies[i] ?? [new Error('no reply'), null];
    if (err) throw err;
    return value !== null;
  });
}

async function addIds(queue: Redis, setKey: string, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += CHUNK) await queue.sadd(setKey, ...ids.slice(i, i + CHUNK));
}
