import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { RingChangeConflictError } from '../errors/index.js';

const RENEW_SCRIPT = readFileSync(new URL('../scripts/lease-renew.lua', import.meta.url), 'utf8');
const RELEASE_SCRIPT = readFileSync(
  new URL('../scripts/lease-release.lua', import.meta.url),
  'utf8',
);

interface LeaseCommands {
  countdLeaseRenew(key: string, token: string, ms: number): Promise<number>;
  countdLeaseRelease(key: string, token: string): Promise<number>;
}

/** How a runner lease is taken. */
export interface RunnerLeaseOptions {
  readonly queue: Redis;
  /** The lease key (`CountdKeys.ringChangeRunner`). */
  readonly key: string;
  /** Length of the lease; renewed every third of it. */
  readonly leaseMs: number;
  /** Wait for a held lease (polling) instead of failing with `runner-busy`. */
  readonly wait: boolean;
  /** Called once while waiting, with the holder. */
  readonly onWaiting?: (holder: string) => void;
}

/**
 * The lease of the runner driving a ring change: `SET NX PX` in the queue Redis, renewed while
 * the runner runs, released at its end; a runner SIGKILLed leaves it to expire within
 * `leaseMs`. It keeps two runners (a detached `countd ring resume` and a second one) from
 * doing the same work twice; safety does not rest on it, every step is idempotent.
 */
export class RunnerLease {
  /** `<host>:<pid>:<random>`: what the lease key holds, shown to a runner that finds it taken. */
  readonly token = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  private readonly lost = new AbortController();

  constructor(private readonly options: RunnerLeaseOptions) {}

  /** Aborted (with a `lease-lost` RingChangeConflictError) when a renewal finds another holder. */
  get signal(): AbortSignal {
    return this.lost.signal;
  }

  /** Takes the lease, waiting for it when asked; throws `runner-busy` otherwise. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const { queue, key, leaseMs, wait } = this.options;
    let told = false;
    for (;;) {
      signal?.throwIfAborted();
      if ((await queue.set(key, this.token, 'PX', leaseMs, 'NX')) === 'OK') break;
      const holder = (await queue.get(key)) ?? '?';
      if (holder === this.token) break;
      if (!wait) throw new RingChangeConflictError('runner-busy', { holder });
      if (!told) this.options.onWaiting?.(holder);
      told = true;
      await sleep(Math.min(1000, Math.max(10, leaseMs / 4)), undefined, signal ? { signal } : {});
    }
    this.timer = setInterval(() => void this.renew(), Math.max(1, Math.floor(leaseMs / 3)));
    this.timer.unref();
  }

  /** Stops renewing and deletes the lease if it is still this runner's. Never throws. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    try {
      await this.commands().countdLeaseRelease(this.options.key, this.token);
    } catch {
      // Unreachable queue Redis: the lease expires by itself.
    }
  }

  private async renew(): Promise<void> {
    const { key, leaseMs, queue } = this.options;
    try {
      if ((await this.commands().countdLeaseRenew(key, this.token, leaseMs)) === 1) return;
      // Expired without another runner taking it (this one was slow): take it again.
      if ((await queue.set(key, this.token, 'PX', leaseMs, 'NX')) === 'OK') return;
      clearInterval(this.timer);
      const holder = (await queue.get(key).catch(() => null)) ?? undefined;
      this.lost.abort(
        new RingChangeConflictError('lease-lost', holder === undefined ? {} : { holder }),
      );
    } catch {
      // A failed renewal is retried at the next tick; the run's own commands fail meanwhile.
    }
  }

  private commands(): LeaseCommands {
    const redis = this.options.queue;
    if (!('countdLeaseRenew' in redis))
      redis.defineCommand('countdLeaseRenew', { numberOfKeys: 1, lua: RENEW_SCRIPT });
    if (!('countdLeaseRelease' in redis))
      redis.defineCommand('countdLeaseRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    return redis as unknown as LeaseCommands;
  }
}
