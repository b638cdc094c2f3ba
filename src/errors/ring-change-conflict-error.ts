import { CountdError } from './countd-error.js';
import type { RingChangeRecord } from '../ring-change/ring-state.js';

/**
 * Why a ring change cannot go ahead:
 * - `in-progress`: another change (a different target ring) is running; only one runs at a time;
 * - `old-workers`: the queue has BullMQ workers that are not live countd workers registered in
 *   the fleet (0.1.0 workers do not follow ring versions, and would write under the old ring);
 * - `fence-violated`: a counter's old location changed after every node was fenced, so
 *   something wrote under the old version; the change stops before deleting it;
 * - `runner-busy`: another runner holds the change's lease (`holder` names it);
 * - `lease-lost`: this runner's lease expired and another runner took it: this one stops.
 */
export type RingChangeConflictReason =
  'in-progress' | 'old-workers' | 'fence-violated' | 'runner-busy' | 'lease-lost';

/** A ring change was refused or stopped: it would run beside another writer of the ring. */
export class RingChangeConflictError extends CountdError {
  readonly reason: RingChangeConflictReason;
  /** The change in progress (for `in-progress`, and for `fence-violated`: the one stopped). */
  readonly change: RingChangeRecord | undefined;
  /** `old-workers`: BullMQ workers on the queue, and live countd workers registered. */
  readonly bullWorkers: number | undefined;
  readonly countdWorkers: number | undefined;
  /** `fence-violated`: the node, hash and counter whose value moved under the old version. */
  readonly node: string | undefined;
  readonly counter: string | undefined;
  /** `runner-busy`, `lease-lost`: the runner holding the lease (`<host>:<pid>:<random>`). */
  readonly holder: string | undefined;

  constructor(
    reason: RingChangeConflictReason,
    detail: {
      readonly change?: RingChangeRecord;
      readonly bullWorkers?: number;
      readonly countdWorkers?: number;
      readonly node?: string;
      readonly counter?: string;
      readonly holder?: string;
      readonly message?: string;
    } = {},
  ) {
    super(describe(reason, detail));
    this.reason = reason;
    this.change = detail.change;
    this.bullWorkers = detail.bullWorkers;
    this.countdWorkers = detail.countdWorkers;
    this.node = detail.node;
    this.counter = detail.counter;
    this.holder = detail.holder;
  }
}

function describe(
  reason: RingChangeConflictReason,
  detail: {
    readonly change?: RingChangeRecord;
    readonly bullWorkers?: number;
    readonly countdWorkers?: number;
    readonly holder?: string;
    readonly message?: string;
  },
): string {
  switch (reason) {
    case 'in-progress': {
      const c = detail.change;
      return c === undefined
        ? 'another ring change is in progress'
        : `a ring change is in progress (${c.kind}, version ${c.from.version} → ${c.to.version}, ` +
            `phase ${c.phase}): run the same command again to resume it; another change waits ` +
            'until it is done';
    }
    case 'old-workers':
      return (
        `the queue has ${detail.bullWorkers ?? '?'} BullMQ worker(s) but only ` +
        `${detail.countdWorkers ?? '?'} live countd worker(s) registered: workers that do not ` +
        'follow ring versions (countd 0.1.0?) would keep writing under the old ring. Upgrade or ' +
        'stop them first'
      );
    case 'fence-violated':
      return `ring change stopped: ${detail.message ?? 'a fenced node was written under the old ring'}`;
    case 'runner-busy':
      return (
        `another runner (${detail.holder ?? '?'}) is driving the ring change; it goes on by ` +
        'itself, or its lease expires within seconds if it died, and a new run resumes it'
      );
    case 'lease-lost':
      return (
        `this runner's lease on the ring change expired and ${detail.holder ?? 'another runner'} ` +
        'holds it now (was this process paused?): this runner stops, the other drives the change'
      );
  }
}
