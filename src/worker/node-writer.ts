import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { StorageLayout } from '../storage/index.js';
import type { FlushGroup } from './flush-group.js';

const APPLY_SCRIPT = readFileSync(new URL('../commands/apply-group.lua', import.meta.url), 'utf8');

/** What one apply did on a node. */
export type ApplyOutcome =
  | {
      readonly kind: 'applied';
      readonly refused: readonly RefusedCounter[];
      readonly commands: number;
    }
  | { readonly kind: 'duplicates'; readonly jobIndexes: readonly number[] };

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

/** Applies flush groups on one storage node through the atomic apply script. */
export class NodeWriter {
  constructor(
    readonly node: string,
    readonly redis: Redis,
    private readonly layout: StorageLayout,
    private readonly settings: ApplySettings,
  ) {
    // defineCommand loads by EVALSHA and falls back to EVAL once per connection (NOSCRIPT).
    if (!('countdApplyGroup' in redis))
      redis.defineCommand('countdApplyGroup', { lua: APPLY_SCRIPT });
  }

  /**
   * One atomic apply of `group`, also shrinking the markers of `completedJobIds`.
   * Throws on connection or script errors; the caller retries (markers make that safe).
   */
  async apply(group: FlushGroup, completedJobIds: readonly string[]): Promise<ApplyOutcome> {
    const { argv, numKeys, hashKeys } = this.buildArguments(group, completedJobIds);
    const reply = await (this.redis as unknown as ApplyCommand).countdApplyGroup(numKeys, argv);
    if (!Array.isArray(reply) || (reply[0] !== 0 && reply[0] !== 1)) {
      throw new Error(`unexpected reply from apply script: ${JSON.stringify(reply).slice(0, 200)}`);
    }
    if (reply[0] === 0)
      return { kind: 'duplicates', jobIndexes: reply.slice(1).map((i) => Number(i) - 1) };
    const refused: RefusedCounter[] = [];
    for (let i = 1; i + 2 < reply.length; i += 3) {
      const key = hashKeys[Number(reply[i]) - 1] ?? '?';
      refused.push({
        counter: String(reply[i + 1]),
        error: `${String(reply[i + 2])} (hash ${key})`,
      });
    }
    return { kind: 'applied', refused, commands: group.commands };
  }

  /**
   * KEYS then ARGV of the apply script, in one array. The counters travel as one tab-separated
   * string (see apply-group.lua): ioredis encodes each argument separately, and two arguments
   * per counter made encoding cost as much as the script itself (docs/performance.md).
   */
  private buildArguments(group: FlushGroup, completedJobIds: readonly string[]) {
    const { layout, settings } = this;
    const byHash = new Map<string, Array<string | number>>();
    const put = (name: string, delta: number) => {
      const key = layout.bucketKey(layout.bucketOf(name));
      let list = byHash.get(key);
      if (list === undefined) {
        list = [];
        byHash.set(key, list);
      }
      list.push(name, delta);
    };
    for (const [name, delta] of group.deltas) put(name, delta);
    for (const [name, delta] of group.spill) put(name, delta);

    const argv: Array<string | number> = [];
    for (const job of group.jobs) argv.push(layout.keys.applied(job.id));
    for (const id of completedJobIds) argv.push(layout.keys.applied(id));
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
    );
    return { argv, numKeys, hashKeys };
  }
}
