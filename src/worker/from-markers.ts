import type { Redis } from 'ioredis';
import type { JobPair } from '../jobs/index.js';
import { ChangePlacement, type RingChangeRecord } from '../ring-change/index.js';
import type { UnappliedIncrement } from './held-job.js';
import { NodeClients, type NodeConnection } from './node-clients.js';
import { parseRefusals } from './node-writer.js';

type Pair = JobPair;

/** What the `from` markers say of a job's counters (docs/ring.md, "The trap"). */
export interface ScreenedPairs {
  /** Counters not applied under `from`: placed under `to` as usual. */
  readonly pairs: readonly JobPair[];
  /** Counters applied under `from` whose apply refused them: reported as for any duplicate part. */
  readonly unapplied: readonly UnappliedIncrement[];
  /** Pairs dropped because their `from` owner holds the job's marker. */
  readonly dropped: number;
}

/**
 * The trap of a ring change: markers are per (job, node), so a job whose part on node P was
 * applied under `from`, redelivered under `to`, must not be applied again where `to` puts
 * those counters (nor at P under a `to` marker, which is another key). While the change moves
 * sums (`moving`, `settling`), every job is screened against its `from` markers first. Fencing
 * made them settled: no `from` marker can appear after it, so one read decides.
 *
 * Its own clients reach every node of `from`, removed nodes included.
 */
export class FromMarkers {
  private readonly placement: ChangePlacement;
  private readonly nodeClients: NodeClients;

  constructor(
    readonly change: RingChangeRecord,
    fromNodes: readonly NodeConnection[],
    commandTimeoutMs: number,
  ) {
    this.placement = new ChangePlacement(change);
    this.nodeClients = new NodeClients(fromNodes, commandTimeoutMs, 'trap');
  }

  /**
   * Reads the job's `from` marker on each `from` owner of its counters, and drops the counters
   * of the owners that hold it (compared as apply-group.lua does: '1' is honoured, else the
   * value up to a tab is the instance). Throws when a node cannot be read: the caller retries.
   */
  async screen(jobId: string, instance: string, pairs: readonly Pair[]): Promise<ScreenedPairs> {
    const from = this.placement.from;
    const byNode = new Map<string, Pair[]>();
    for (const pair of pairs) {
      const node = from.locate(pair[0]).node;
      let list = byNode.get(node);
      if (list === undefined) byNode.set(node, (list = []));
      list.push(pair);
    }
    const markerKey = from.keys.applied(jobId, this.change.from.version);
    const verdicts = await Promise.all(
      [...byNode].map(async ([node, nodePairs]) => ({
        node,
        nodePairs,
        applied: await this.appliedOn(this.client(node), markerKey, instance),
      })),
    );
    const kept: JobPair[] = [];
    const unapplied: UnappliedIncrement[] = [];
    let dropped = 0;
    for (const { node, nodePairs, applied } of verdicts) {
      if (applied === false) {
        // The pair itself: a version 2 pair keeps its minute.
        for (const pair of nodePairs) kept.push(pair);
        continue;
      }
      dropped += nodePairs.length;
      if (applied === undefined) {
        // As for a duplicate part whose refusal record expired: say so rather than guess.
        unapplied.push({
          name: '?',
          delta: 0,
          node,
          error: 'its part was applied earlier; what that apply refused is no longer known',
        });
        continue;
      }
      for (const [name, delta] of nodePairs) {
        const error = applied.get(name);
        if (error !== undefined) unapplied.push({ name, delta, node, error });
      }
    }
    return { pairs: kept, unapplied, dropped };
  }

  /** Closes the clients; failures are reported, never thrown. */
  close(onError: (error: unknown) => void): Promise<void> {
    return this.nodeClients.close(onError);
  }

  private client(node: string): Redis {
    const client = this.nodeClients.of(node);
    if (client === undefined)
      throw new Error(`no client for node ${node} of ring version ${this.change.from.version}`);
    return client;
  }

  /**
   * false: not applied there. Else what that apply refused (field -> error), undefined when its
   * record expired.
   */
  private async appliedOn(
    redis: Redis,
    key: string,
    instance: string,
  ): Promise<false | ReadonlyMap<string, string> | undefined> {
    const marker = await redis.get(key);
    if (marker === null) return false;
    const tab = marker.indexOf('\t');
    const held = tab === -1 ? marker : marker.slice(0, tab);
    // Another instance: a job that had this id before, not this one.
    if (marker !== '1' && held !== instance) return false;
    if (tab === -1) return new Map();
    const record = await redis.get(marker.slice(tab + 1));
    return parseRefusals(record ?? '?');
  }
}
