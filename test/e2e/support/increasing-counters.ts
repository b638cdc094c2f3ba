import { setTimeout as sleep } from 'node:timers/promises';
import { Producer } from '../../../src/producer/index.js';
import { Prng } from '../../../workers/load/index.js';
import type { E2eStack } from './e2e-stack.js';

/** A stream of +1 increments over a fixed set of counters, and what was sent and confirmed. */
export interface IncreasingCounters {
  readonly names: readonly string[];
  /** Increments handed to the producer so far: no counter can ever read more. */
  sent(name: string): number;
  /** Name → total the queue confirmed (every name listed, 0 included). */
  confirmed(): Map<string, number>;
  /** Increments that failed (reported, not retried). */
  readonly failures: readonly string[];
  /** Stops sending and closes the producer once its last batch is settled. */
  stop(): Promise<void>;
}

/**
 * Counters that only grow (`<namePrefix>:<i>`, `i < count`), for a reader that checks that no
 * read ever goes down: every `intervalMs`, +1 on `perRound` counters drawn by a seeded PRNG
 * (the first round touches every counter once, so each exists from the start). The load
 * generator's counters also get decrements, which no such check can see through.
 */
export function startIncreasingCounters(
  stack: E2eStack,
  options: {
    readonly count: number;
    readonly seed: number;
    readonly namePrefix?: string;
    readonly perRound?: number;
    readonly intervalMs?: number;
  },
): IncreasingCounters {
  const { count, seed, namePrefix = 'up', perRound = 50, intervalMs = 25 } = options;
  const producer = new Producer({ queue: stack.queueConnection, queueName: stack.queueName });
  const names = Array.from({ length: count }, (_, i) => `${namePrefix}:${i}`);
  const sent = new Map<string, number>(names.map((n) => [n, 0]));
  const confirmed = new Map<string, number>(names.map((n) => [n, 0]));
  const failures: string[] = [];
  const rng = new Prng(seed, 7);
  let running = true;
  const send = (round: readonly string[]) =>
    Promise.all(
      round.map(async (name) => {
        sent.set(name, sent.get(name)! + 1);
        try {
          await producer.increment(name, 1);
          confirmed.set(name, confirmed.get(name)! + 1);
        } catch (err) {
          failures.push(`${name}: ${String(err)}`);
        }
      }),
    );
  const loop = (async () => {
    await send(names);
    while (running) {
      const round = Array.from(
        { length: perRound },
        () => names[Math.floor(rng.nextFloat() * count)]!,
      );
      await send(round);
      await sleep(intervalMs);
    }
  })();
  return {
    names,
    sent: (name) => sent.get(name) ?? 0,
    confirmed: () => new Map(confirmed),
    failures,
    stop: async () => {
      running = false;
      await loop;
      await producer.close();
    },
  };
}
