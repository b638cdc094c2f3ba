import { setTimeout as sleep } from 'node:timers/promises';
import { Producer } from '../../../src/producer/index.js';
import type { E2eStack } from './e2e-stack.js';

/** A slow stream of increments that touches every node of a stack, and what it confirmed. */
export interface TrickleLoad {
  /** Name → total of every increment the queue confirmed. */
  expected(): Map<string, number>;
  /** Stops sending and closes the producer (after its last batch is confirmed). */
  stop(): Promise<void>;
}

/**
 * Every `intervalMs`, one job with +1 on a counter of each node (`tick-…` names). A worker
 * shortens a completed job's markers to the grace TTL only with its next apply on that node, so
 * markers of the last jobs of a load live their full TTL unless something more is applied: the
 * trickle keeps applies going on every node until the markers a test waits for have expired.
 */
export function startTrickle(stack: E2eStack, intervalMs = 150): TrickleLoad {
  const producer = new Producer({ queue: stack.queueConnection, queueName: stack.queueName });
  const names = namesOnEveryNode(stack);
  const totals = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    while (running) {
      await Promise.all(names.map((name) => producer.increment(name, 1)));
      for (const name of names) totals.set(name, (totals.get(name) ?? 0) + 1);
      await sleep(intervalMs);
    }
  })();
  return {
    expected: () => new Map(totals),
    stop: async () => {
      running = false;
      await loop;
      await producer.close();
    },
  };
}

/** One `tick-<i>` name per node of the stack's ring. */
function namesOnEveryNode(stack: E2eStack): string[] {
  const byNode = new Map<string, string>();
  for (let i = 0; byNode.size < stack.nodeIds.length; i++) {
    if (i > 10_000) throw new Error('no tick name found for every node');
    const name = `tick-${i}`;
    const { node } = stack.layout.locate(name);
    if (!byNode.has(node)) byNode.set(node, name);
  }
  return [...byNode.values()];
}
