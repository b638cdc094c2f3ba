import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { Granularity, Rollups } from '../rollups/index.js';
import type { StorageLayout } from '../storage/index.js';
import { parseBucketId } from './bucket-plan.js';
import type { FlushGroup } from './flush-group.js';

const APPLY_SCRIPT = readFileSync(new URL('../scripts/apply-group.lua', import.meta.url), 'utf8');

/** What one apply did on a node. */
export type ApplyOutcome =
  | {
      readonly kind: 'applied';
      readonly refused: readonly RefusedCounter[];
      readonly commands: number;
      /**
       * Time-bucket fields the node refused (a value in the way, int64 overflow): their totals
       * were applied, so the increments are not unapplied; reported, never silent.
       */
      readonly bucketRefused: readonly RefusedCounter[];
      /** Time-bucket HINCRBYs sent, per granularity (none without rollups). */
      readonly bucketWrites: ReadonlyArray<{
        readonly granularity: Granularity;
        readonly writes: number;
      }>;
    }
  | {
      readonly kind: 'duplicates';
      /** Indexes among the group's jobs, each with what its apply refused then. */
      readonly parts: ReadonlyArray<{ readonly job: number; readonly refused: RefusalRecord }>;
    }
  /** The node does not hold the identity the worker expects: nothing was written. */
  | { readonly kind: 'identity'; readonly found: string }
  /** The node's clock is past the lease deadline: nothing was written. */
  | { readonly kind: 'expired'; readonly nodeNow: number; readonly deadline: number };

/**
 * What an earlier apply of a part refused: field -> Redis's error. `undefined` when its record
 * expired before this retry read it (the refusals are then unknown).
 */
export type RefusalRecord = ReadonlyMap<string, string> | undefined;

/** A counter a node would not update (int64 overflow, a non-integer or non-hash value in the way). */
export interface RefusedCounter {
  readonly counter: string;
  readonly error: string;
}

export interface ApplySettings {
  readonly markerTtlSeconds: number;
  readonly markerGraceSeconds: number;
  /** Channel for new values; `undefined` disables publishing. */
  readonly channel: string | undefined;
  readonly publishChunk: number;
}

interface ApplyCommand {
  countdApplyGroup(numKeys: number, args: Array<string | number>): Promise<unknown>;
}

/**
 * Applies flush groups on one storage node through the atomic apply script, under one ring
 * version: its job markers are that version's (`applied@<v>:`, bare under version 1), so a
 * marker of one version never covers counters a later version moved to the node.
 */
export class NodeWriter {
  constructor(
    readonly node: string,
    readonly redis: Redis,
    private readonly layout: StorageLayout,
    private readonly settings: ApplySettings,
    readonly version = 1,
    /** The rollups of this ring version: names and expiries of the time-bucket hashes. */
    private readonly rollups: Rollups = [],
  ) {
    // defineCommand loads by EVALSHA and falls back to EVAL once per connection (NOSCRIPT).
    if (!('countdApplyGroup' in redis))
      redis.defineCommand('countdApplyGroup', { lua: APPLY_SCRIPT });
  }

  /**
   * One atomic apply of `group`, also shrinking the markers of `completedJobIds`, that the node
   * runs only if it holds `identity` and its clock is before `deadline` (epoch ms, see
   * JobLeases). Throws on connection or script errors; the caller retries (markers make that
   * safe).
   */
  async apply(
    group: FlushGroup,
    completedJobIds: readonly string[],
    access: { readonly identity: string; readonly deadline: number; readonly applyId: string },
  ): Promise<ApplyOutcome> {
    const { argv, numKeys, hashKeys, bucketHashes, bucketWrites } = this.buildArguments(
      group,
      completedJobIds,
      access,
    );
    const reply = await (this.redis as unknown as ApplyCommand).countdApplyGroup(numKeys, argv);
    if (!Array.isArray(reply) || ![0, 1, 2, 3].includes(reply[0] as number)) {
      throw new Error(`unexpected reply from apply script: ${JSON.stringify(reply).slice(0, 200)}`);
    }
    if (reply[0] === 2) return { kind: 'identity', found: String(reply[1] ?? '') };
    if (reply[0] === 3)
      return { kind: 'expired', nodeNow: Number(reply[1]), deadline: Number(reply[2]) };
    if (reply[0] === 0) {
      const parts: Array<{ job: number; refused: RefusalRecord }> = [];
      for (let i = 1; i + 1 < reply.length; i += 2)
        parts.push({ job: Number(reply[i]) - 1, refused: parseRefusals(String(reply[i + 1])) });
      return { kind: 'duplicates', parts };
    }
    const refused: RefusedCounter[] = [];
    const bucketRefused: RefusedCounter[] = [];
    const firstBucket = hashKeys.length - bucketHashes;
    for (let i = 1; i + 2 < reply.length; i += 3) {
      const h = Number(reply[i]) - 1;
      const key = hashKeys[h] ?? '?';
      (h >= firstBucket ? bucketRefused : refused).push({
        counter: String(reply[i + 1]),
        error: `${String(reply[i + 2])} (hash ${key})`,
      });
    }
    return { kind: 'applied', refused, commands: group.commands, bucketRefused, bucketWrites };
  }

  /**
   * How many replicas (at most `required`) acknowledged every write this connection made, as
   * `WAIT required timeoutMs` counts them. `probe` first overwrites the probe key: an apply that
   * found its parts applied wrote nothing, and a connection opened since (a reconnect, a new
   * primary) has written nothing either, so `WAIT` alone would cover nothing. The probe's write
   * comes after everything the node holds, the found parts included.
   */
  async replicaAcks(required: number, timeoutMs: number, probe: boolean): Promise<number> {
    if (!probe) return Number(await this.redis.wait(required, timeoutMs));
    const replies = await this.redis
      .pipeline()
      .set(this.layout.keys.replicaProbe(), '1')
      .wait(required, timeoutMs)
      .exec();
    const failed = replies?.find(([err]) => err !== null)?.[0];
    if (failed) throw failed;
    return Number(replies?.[1]?.[1]);
  }

  /**
   * KEYS then ARGV of the apply script, in one array. The counters travel as one tab-separated
   * string (see apply-group.lua): ioredis encodes each argument separately, and two arguments
   * per counter made encoding cost as much as the script itself (docs/performance.md).
   */
  private buildArguments(
    group: FlushGroup,
    completedJobIds: readonly string[],
    access: { readonly identity: string; readonly deadline: number; readonly applyId: string },
  ) {
    const { layout, settings } = this;
    const byHash = new Map<string, Array<string | number>>();
    // Each counter's slot, computed once for its total and reused for its time buckets.
    const slots = this.rollups.length > 0 ? new Map<string, number>() : undefined;
    const put = (name: string, delta: number) => {
      const slot = layout.bucketOf(name);
      slots?.set(name, slot);
      const key = layout.bucketKey(slot);
      let list = byHash.get(key);
      if (list === undefined) {
        list = [];
        byHash.set(key, list);
      }
      list.push(name, delta);
    };
    for (const [name, delta] of group.deltas) put(name, delta);
    for (const [name, delta] of group.spill) put(name, delta);
    // Time buckets after every counter hash: the script skips the buckets of a refused counter.
    const counterHashes = byHash.size;
    const expiries: number[] = [];
    const writes = this.rollups.map(() => 0);
    // Per bucket, the hash of each slot and its list, found once: a group spans few buckets
    // (most jobs are one minute), so each hash name is built once per apply.
    const putBucket = (id: number, of: Iterable<readonly [string, number]>) => {
      const { granularity, start } = parseBucketId(id);
      const rollup = this.rollups[granularity]!;
      const lists: Array<Array<string | number> | undefined> = [];
      let count = 0;
      for (const [counter, delta] of of) {
        const slot = slots?.get(counter) ?? layout.bucketOf(counter);
        let list = lists[slot];
        if (list === undefined) {
          const key = layout.keys.series(rollup.granularity, start, slot);
          list = byHash.get(key);
          if (list === undefined) {
            list = [];
            byHash.set(key, list);
            expiries.push((start + rollup.stepMs + rollup.retentionMs) / 1000);
          }
          lists[slot] = list;
        }
        list.push(counter, delta);
        count++;
      }
      writes[granularity]! += count;
    };
    for (const [id, of] of group.buckets) putBucket(id, of);
    // Spilled deltas are rare (a sum past 2^53): one call each.
    for (const [id, counter, delta] of group.bucketSpill) putBucket(id, [[counter, delta]]);
    const bucketHashes = byHash.size - counterHashes;

    const argv: Array<string | number> = [
      layout.keys.nodeIdentity(),
      layout.keys.refusals(access.applyId),
    ];
    for (const job of group.jobs) argv.push(layout.keys.applied(job.id, this.version));
    for (const id of completedJobIds) argv.push(layout.keys.applied(id, this.version));
    const hashKeys = [...byHash.keys()];
    for (const key of hashKeys) argv.push(key);
    const numKeys = argv.length;
    const tokens: Array<string | number> = [];
    for (const list of byHash.values()) {
      tokens.push(list.length / 2);
      for (const item of list) tokens.push(item);
    }
    // Every token is followed by a tab, the last one too.
    tokens.push('');
    argv.push(
      group.jobs.length,
      completedJobIds.length,
      settings.markerTtlSeconds,
      settings.markerGraceSeconds,
      settings.channel ?? '',
      settings.publishChunk,
      tokens.join('\t'),
      access.identity,
      // A lease that never ends (Infinity) has no meaning on the node: send 0, refused there.
      Number.isFinite(access.deadline) ? Math.floor(access.deadline) : 0,
      group.jobs.map((job) => `${job.instance}\t`).join(''),
      group.spill.length > 0 || group.bucketSpill.length > 0 ? '1' : '0',
      bucketHashes,
      expiries.map((at) => `${at}\t`).join(''),
    );
    const bucketWrites = this.rollups.map((r, g) => ({
      granularity: r.granularity,
      writes: writes[g]!,
    }));
    return { argv, numKeys, hashKeys, bucketHashes, bucketWrites };
  }
}

/** Parses a refusal record (lines of field TAB error); '' is none, '?' an expired record. */
export function parseRefusals(text: string): RefusalRecord {
  if (text === '?') return undefined;
  const refused = new Map<string, string>();
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) refused.set(line.slice(0, tab), line.slice(tab + 1));
  }
  return refused;
}
