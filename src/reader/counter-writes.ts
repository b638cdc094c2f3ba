import type { CounterLocation } from '../storage/index.js';
import type { NodeClient } from './node-client.js';

/** Where a write goes: the counter's location, and its `from` location while a change splits it. */
export interface WriteTarget {
  readonly current: CounterLocation;
  readonly previous?: CounterLocation | undefined;
  /** The flag hash of `current` while a change splits the counter. */
  readonly movedKey?: string | undefined;
}

/**
 * Stores `text` as the counter's value (`null`: deletes it). While a change splits the counter,
 * the `to` location and its moved-in flag are written in one MULTI, then the `from` field is
 * deleted: a fold that comes later finds the flag and adds nothing, and a read between the two
 * steps sees the flag and takes the `to` value alone. `channel`: published in the same MULTI.
 */
export async function writeCounter(
  target: WriteTarget,
  text: string | null,
  clientOf: (node: string) => NodeClient,
  channel: string | undefined,
): Promise<void> {
  const { current, previous, movedKey } = target;
  const update = `${current.field}\t${text ?? '0'}`;
  await clientOf(current.node).run(text === null ? 'HDEL' : 'HSET', async (redis) => {
    const multi = redis.multi();
    if (text === null) multi.hdel(current.key, current.field);
    else multi.hset(current.key, current.field, text);
    if (previous !== undefined && movedKey !== undefined) multi.hset(movedKey, current.field, '1');
    // In the same transaction: a flush cannot publish between the write and its update.
    if (channel !== undefined) multi.publish(channel, update);
    const results = (await multi.exec()) ?? [];
    for (const [err] of results) if (err) throw err;
  });
  if (previous === undefined || movedKey === undefined) return;
  await clientOf(previous.node).run('HDEL', (redis) => redis.hdel(previous.key, previous.field));
}
