import { Producer } from '../../../src/producer/index.js';
import { LoadGenerator, type IncrementSink, type LoadResult } from '../../../workers/load/index.js';
import type { E2eStack } from './e2e-stack.js';

/** A load run in the test process, so a test can act while it runs and read what was confirmed. */
export interface InProcessLoad {
  readonly generator: LoadGenerator;
  readonly done: Promise<LoadResult>;
  /** True once every batch has settled. */
  readonly finished: boolean;
  /** Name → total of every increment the queue confirmed. */
  expected(): Map<string, number>;
  /** Closes every producer of the load. */
  close(): Promise<void>;
}

/** A producer a load sends through: this repository's {@link Producer}, or another version's. */
export type LoadProducer = IncrementSink & { close(): Promise<void> };

/**
 * Starts a load on the stack's queue through `producers` (one lane each, the total split
 * between them), by default one {@link Producer} of this repository. `signal` stops it early.
 */
export function startInProcessLoad(
  stack: E2eStack,
  options: {
    total: number;
    counters: number;
    zipf: number;
    rate: number;
    seed: number;
    signal?: AbortSignal;
  },
  producers: readonly LoadProducer[] = [
    new Producer({ queue: stack.queueConnection, queueName: stack.queueName }),
  ],
): InProcessLoad {
  const generator = new LoadGenerator({ ...options, namePrefix: 'item' }, producers);
  let finished = false;
  const done = generator.run().finally(() => (finished = true));
  return {
    generator,
    done,
    get finished() {
      return finished;
    },
    expected: () => generator.confirmedTotals().toMap(),
    close: async () => {
      await Promise.all(producers.map((p) => p.close()));
    },
  };
}
