import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { CountdKeys } from '../keys/index.js';
import { readRingEpoch, readRingState, type RingState } from '../ring-change/index.js';
import { asError } from './as-error.js';

export interface RingFollowerEvents {
  /** The records changed (the epoch moved, or a fence made the worker look): the new state. */
  state: [RingState];
  error: [Error];
}

/**
 * Watches the fleet's ring records in the queue Redis: the epoch every `intervalMs` (one GET),
 * the records themselves when it moved or when {@link poke} says a node was found fenced. The
 * one owner of the state last read; what to do with it is the worker's.
 */
export class RingFollower extends EventEmitter<RingFollowerEvents> {
  private current: RingState;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly queue: Redis,
    private readonly keys: CountdKeys,
    private readonly queueName: string,
    initial: RingState,
    private readonly intervalMs = 1000,
  ) {
    super();
    this.current = initial;
  }

  /** The ring state as last read. */
  get state(): RingState {
    return this.current;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.check(false), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A node refused an apply for a newer version: read the records now, epoch or not. */
  poke(): Promise<void> {
    return this.check(true);
  }

  /** One check at a time; one asked for meanwhile runs right after it. */
  private check(force: boolean): Promise<void> {
    if (this.checking !== undefined) {
      this.again ||= force;
      return this.checking;
    }
    this.checking = (async () => {
      try {
        const epoch = force
          ? undefined
          : await readRingEpoch(this.queue, this.keys, this.queueName);
        if (epoch !== undefined && epoch === this.current.epoch) return;
        this.current = await readRingState(this.queue, this.keys, this.queueName);
        this.emit('state', this.current);
      } catch (err) {
        this.emit('error', asError(err));
      }
    })().finally(() => {
      this.checking = undefined;
      if (this.again) {
        this.again = false;
        void this.check(true);
      }
    });
    return this.checking;
  }
}
