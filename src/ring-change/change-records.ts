import type { Redis } from 'ioredis';
import type { CountdKeys } from '../keys/index.js';
import type { RingChangePhase, RingChangeRecord } from './ring-state.js';

/** Where one fleet's ring records live in the queue Redis. */
export interface RecordKeys {
  readonly queue: Redis;
  readonly keys: CountdKeys;
  readonly queueName: string;
}

/** The stored form of a change record (its fields in the documented order). */
export function changeRecordText(change: RingChangeRecord): string {
  const { kind, from, to, phase, startedAt, updatedAt, moved, toMove } = change;
  return JSON.stringify({ kind, from, to, phase, startedAt, updatedAt, moved, toMove });
}

/**
 * Moves the change to `phase` and the epoch on, in one MULTI; entering `moving` also makes
 * `change.to` the fleet's ring. Returns the record as stored.
 */
export async function enterPhase(
  at: RecordKeys,
  change: RingChangeRecord,
  phase: RingChangePhase,
  now: number,
): Promise<RingChangeRecord> {
  const next: RingChangeRecord = { ...change, phase, updatedAt: now };
  const multi = at.queue.multi();
  if (phase === 'moving') multi.set(at.keys.fleetRing(at.queueName), JSON.stringify(change.to));
  multi.set(at.keys.ringChange(at.queueName), changeRecordText(next));
  multi.incr(at.keys.ringEpoch(at.queueName));
  await exec(multi);
  return next;
}

/**
 * Stores progress (`moved`, `toMove`, `updatedAt`): the epoch stays, since readers and workers
 * only follow the phase and the ring. Written only while the stored change is still this one.
 */
export async function saveProgress(at: RecordKeys, change: RingChangeRecord): Promise<void> {
  await at.queue.set(at.keys.ringChange(at.queueName), changeRecordText(change), 'XX');
}

/** Ends the change: record and jobs snapshot deleted, epoch on, in one MULTI. */
export async function finishChange(at: RecordKeys): Promise<void> {
  await exec(
    at.queue
      .multi()
      .del(at.keys.ringChange(at.queueName))
      .del(at.keys.ringChangeJobs(at.queueName))
      .incr(at.keys.ringEpoch(at.queueName)),
  );
}

async function exec(multi: ReturnType<Redis['multi']>): Promise<void> {
  const replies = await multi.exec();
  if (replies === null) throw new Error('ring change: a MULTI on the queue Redis was aborted');
  const failed = replies.find(([err]) => err !== null)?.[0];
  if (failed) throw failed;
}
