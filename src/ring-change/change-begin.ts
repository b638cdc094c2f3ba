import { ConfigError, RingChangeConflictError } from '../errors/index.js';
import { closeConnection } from '../redis/close-connection.js';
import { changeRecordText, type RecordKeys } from './change-records.js';
import { parseRingRecord, type RingRecord } from './ring-record.js';
import { parseChangeRecord, type RingChangeKind, type RingChangeRecord } from './ring-state.js';
import { takeWorkerCensus } from './worker-census.js';

/**
 * Writes the change record of `to` (phase fencing) and moves the epoch on, or returns the change
 * in progress when its `to` has the same fingerprint (a resume). See RingChangeRunner.begin.
 */
export async function beginChange(
  at: RecordKeys,
  bullPrefix: string,
  kind: RingChangeKind,
  to: RingRecord,
): Promise<RingChangeRecord> {
  const { keys, queueName } = at;
  const ringKey = keys.fleetRing(queueName);
  const changeKey = keys.ringChange(queueName);
  // WATCH needs a connection of its own: the caller's may carry other commands meanwhile.
  const conn = at.queue.duplicate();
  conn.on('error', () => undefined);
  try {
    for (;;) {
      await conn.watch(ringKey, changeKey);
      const [ringText, changeText] = await Promise.all([conn.get(ringKey), conn.get(changeKey)]);
      if (changeText !== null) {
        await conn.unwatch();
        const change = parseChangeRecord(changeText, changeKey);
        if (change.to.fingerprint === to.fingerprint) return change;
        throw new RingChangeConflictError('in-progress', { change });
      }
      if (ringText === null) {
        await conn.unwatch();
        throw new ConfigError(ringKey, `no ring is registered for queue "${queueName}"`);
      }
      const current = parseRingRecord(ringText, ringKey);
      checkNext(current, to);
      const census = await takeWorkerCensus(conn, keys, queueName, bullPrefix, Date.now());
      if (census.bullWorkers > census.countdWorkers)
        throw new RingChangeConflictError('old-workers', census);
      const now = Date.now();
      const change: RingChangeRecord = {
        kind,
        from: current,
        to,
        phase: 'fencing',
        startedAt: now,
        updatedAt: now,
        moved: 0,
        toMove: null,
      };
      const done = await conn
        .multi()
        .set(changeKey, changeRecordText(change))
        .incr(keys.ringEpoch(queueName))
        .exec();
      // null: the ring or a change record was written meanwhile; look again.
      if (done !== null) return change;
    }
  } finally {
    await closeConnection(conn);
  }
}

/** `to` must be the next version of `current`, with the same prefix and algorithm. */
function checkNext(current: RingRecord, to: RingRecord): void {
  if (to.version !== current.version + 1)
    throw new ConfigError(
      'version',
      `the new ring must be version ${current.version + 1} (the current is ` +
        `${current.version}), not ${to.version}`,
    );
  if (to.prefix !== current.prefix)
    throw new ConfigError('prefix', `a ring change keeps the prefix "${current.prefix}"`);
  if (to.algorithm !== current.algorithm || to.pointsPerWeight !== current.pointsPerWeight)
    throw new ConfigError('algorithm', 'a ring change keeps the algorithm and its points');
}
