import type { Redis } from 'ioredis';
import { ConfigError } from '../errors/index.js';
import type { CountdKeys } from '../keys/index.js';
import { parseRingRecord, type RingRecord } from './ring-record.js';

/** What a change does; `layout` changes the bucket count (the fingerprint's layout part). */
export type RingChangeKind = 'add' | 'remove' | 'reweight' | 'layout';

/** The phases of a change, in order (docs/ring.md, "Phases"). */
export const RING_CHANGE_PHASES = ['fencing', 'moving', 'settling', 'cleanup'] as const;
export type RingChangePhase = (typeof RING_CHANGE_PHASES)[number];

/** The change in progress (`countd:fleet:<q>:ring-change`). */
export interface RingChangeRecord {
  readonly kind: RingChangeKind;
  readonly from: RingRecord;
  readonly to: RingRecord;
  readonly phase: RingChangePhase;
  /** Epoch ms (the command's clock), for display. */
  readonly startedAt: number;
  readonly updatedAt: number;
  /** Counters folded into their new location so far. */
  readonly moved: number;
  /** Counters to move in all, once counted (after fencing); null before. */
  readonly toMove: number | null;
}

/** The fleet's ring as the queue Redis holds it at one epoch. */
export interface RingState {
  /** Moves on with every change of the ring or change record; 0 when never set. */
  readonly epoch: number;
  /** The current ring; undefined before the first worker registered one. */
  readonly ring: RingRecord | undefined;
  readonly change: RingChangeRecord | undefined;
}

/** Reads epoch, ring and change in one MULTI, so the three belong together. */
export async function readRingState(
  queue: Redis,
  keys: CountdKeys,
  queueName: string,
): Promise<RingState> {
  const replies = await queue
    .multi()
    .get(keys.ringEpoch(queueName))
    .get(keys.fleetRing(queueName))
    .get(keys.ringChange(queueName))
    .exec();
  if (replies === null) throw new Error('the ring state read was aborted');
  const failed = replies.find(([err]) => err !== null)?.[0];
  if (failed) throw failed;
  const [epochText, ringText, changeText] = replies.map(([, v]) => v as string | null);
  return {
    epoch: epochText == null ? 0 : Number(epochText),
    ring: ringText == null ? undefined : parseRingRecord(ringText, keys.fleetRing(queueName)),
    change:
      changeText == null ? undefined : parseChangeRecord(changeText, keys.ringChange(queueName)),
  };
}

/** Reads only the epoch: a read compares it before and after its node reads. */
export async function readRingEpoch(
  queue: Redis,
  keys: CountdKeys,
  queueName: string,
): Promise<number> {
  const text = await queue.get(keys.ringEpoch(queueName));
  return text === null ? 0 : Number(text);
}

/** Parses a stored change record; throws a ConfigError naming `key` when it is not one. */
export function parseChangeRecord(text: string, key: string): RingChangeRecord {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ConfigError(key, 'holds a value that is not JSON');
  }
  const { kind, phase, from, to } = value;
  if (kind !== 'add' && kind !== 'remove' && kind !== 'reweight' && kind !== 'layout')
    throw new ConfigError(key, `names an unknown kind ${JSON.stringify(kind)}`);
  if (!RING_CHANGE_PHASES.includes(phase as RingChangePhase))
    throw new ConfigError(key, `names an unknown phase ${JSON.stringify(phase)}`);
  return {
    kind,
    phase: phase as RingChangePhase,
    from: parseRingRecord(JSON.stringify(from), `${key} (from)`),
    to: parseRingRecord(JSON.stringify(to), `${key} (to)`),
    startedAt: Number(value.startedAt),
    updatedAt: Number(value.updatedAt),
    moved: Number(value.moved ?? 0),
    toMove: typeof value.toMove === 'number' ? value.toMove : null,
  };
}

/**
 * True while counters can have partial sums at two locations: after fencing, until the change
 * record is gone. Readers sum both; workers check `from` markers (docs/ring.md).
 */
export function changeSplitsCounters(change: RingChangeRecord | undefined): boolean {
  return change !== undefined && change.phase !== 'fencing';
}
