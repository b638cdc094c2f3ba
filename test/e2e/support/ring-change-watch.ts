import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { CountdKeys } from '../../../src/keys/index.js';
import {
  readRingState,
  type RingChangeRecord,
  type RingState,
} from '../../../src/ring-change/index.js';

/**
 * Follows a fleet's ring state in the queue Redis (epoch, ring record, change record; one MULTI
 * per look, every `intervalMs`) so a test can act at a given moment of a change, e.g. SIGKILL
 * the command once the phase is `moving` with counters moved, and can report which phases it
 * saw and the last progress of the change (the record is deleted at its end).
 */
export class RingChangeWatch {
  /** The latest state read. */
  state: RingState | undefined;
  /** The last change record seen (kept after the change ended). */
  lastChange: RingChangeRecord | undefined;
  /** Each phase with the ms (performance.now()) it was first seen, in order. */
  readonly phases: Array<{ phase: string; at: number }> = [];
  private readonly keys: CountdKeys;
  private running = true;
  private readonly waiters = new Set<() => void>();
  private readonly loop: Promise<void>;
  private failure: unknown;

  constructor(
    private readonly queue: Redis,
    prefix: string,
    private readonly queueName: string,
    intervalMs = 5,
  ) {
    this.keys = new CountdKeys(prefix);
    this.loop = (async () => {
      while (this.running) {
        try {
          this.observe(await this.read());
        } catch (err) {
          this.failure = err;
        }
        for (const wake of [...this.waiters]) wake();
        await sleep(intervalMs);
      }
    })();
  }

  /** One read now, outside the loop. */
  read(): Promise<RingState> {
    return readRingState(this.queue, this.keys, this.queueName);
  }

  /** The phase of the change in progress, or 'none'. */
  get phase(): string {
    return this.state?.change?.phase ?? 'none';
  }

  /** The ids of the current ring record's nodes (undefined before a worker registered one). */
  get ringNodeIds(): string[] | undefined {
    return this.state?.ring?.nodes.map((n) => n.id);
  }

  /** Resolves with the first state (read from now on) that `match` accepts. */
  until(match: (state: RingState) => boolean, timeoutMs: number, what: string): Promise<RingState> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `no ring state ${what} within ${timeoutMs} ms (last: phase ${this.phase}, ` +
              `${JSON.stringify(this.lastChange === undefined ? null : progressOf(this.lastChange))}` +
              `${this.failure === undefined ? '' : `; last read error ${String(this.failure)}`})`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        if (this.state === undefined || !match(this.state)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(this.state);
      };
      this.waiters.add(check);
    });
  }

  /** Phases seen, as `phase@seconds` relative to `since`. */
  phaseLog(since: number): string {
    return this.phases.map((p) => `${p.phase}@${((p.at - since) / 1000).toFixed(1)}s`).join(' → ');
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private observe(state: RingState): void {
    this.state = state;
    const phase = state.change?.phase ?? 'none';
    if (state.change !== undefined) this.lastChange = state.change;
    if (this.phases.at(-1)?.phase !== phase) this.phases.push({ phase, at: performance.now() });
  }
}

/** The parts of a change record worth printing. */
export function progressOf(change: RingChangeRecord): {
  kind: string;
  phase: string;
  from: number;
  to: number;
  moved: number;
  toMove: number | null;
} {
  return {
    kind: change.kind,
    phase: change.phase,
    from: change.from.version,
    to: change.to.version,
    moved: change.moved,
    toMove: change.toMove,
  };
}
