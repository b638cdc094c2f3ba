import { Producer } from '../../../src/producer/index.js';
import { LoadGenerator, type LoadResult } from '../../../workers/load/index.js';
import type { E2eStack } from './e2e-stack.js';

/** A load run in the test process, so a test can act while it runs and read what was confirmed. */
export interface InProcessLoad {
  readonly generator: LoadGenerator;
  readonly done: Promise<LoadResult>;
  /** True once every batch has settled. */
  readonly finished: boolean;
  /** Name → total of every increment the queue confirmed. */
  expected(): Map<string, number>;
  close(): Promise<void>;
}

export function startInProcessLoad(
  stack: E2eStack,
  options: { total: number; counters: number; zipf: number; rate: number; seed: number },
): InProcessLoad {
  const producer = new Producer({ queue: stack.queueConnection, queueName: stack.queueName });
  const generator = new LoadGenerator({ ...options, namePrefix: 'item' }, [producer]);
  let finished = false;
  const done = generator.run().finally(() => (finished = true));
  return {
    generator,
    done,
    get finished() {
      return finished;
    },
    expected: () => generator.confirmedTotals().toMap(),
    close: () => producer.close(),
  };
}
