import { afterAll, afterEach, beforeAll } from 'vitest';
import { useRedisServers } from '../../support/redis-harness.js';
import { ensureBuilt } from '../build-once.js';
import { E2eStack } from './e2e-stack.js';

/**
 * The setup the fault suites share: a queue Redis, three storage nodes with AOF and
 * `appendfsync always` (what a node acknowledged survives its crash), a fresh build, and one
 * {@link E2eStack} per test, disposed after it even when it fails (or one per suite, made in
 * `beforeAll` with `createForSuite` and disposed after the suite: a per-test stack made there
 * would have its workers killed after the first test).
 */
export function useE2eStack() {
  const queue = useRedisServers({ count: 1 });
  const nodes = useRedisServers({ count: 3, appendonly: true, appendfsync: 'always' });
  let stack: E2eStack | undefined;
  let suiteStack: E2eStack | undefined;

  beforeAll(() => ensureBuilt(), 240_000);
  afterEach(async () => {
    await stack?.dispose();
    stack = undefined;
  });
  afterAll(async () => {
    await suiteStack?.dispose();
    suiteStack = undefined;
  });

  return {
    queue,
    nodes,
    /** A stack for this test, with worker env defaults. */
    create(name: string, defaults: Readonly<Record<string, string>> = {}): E2eStack {
      stack = new E2eStack(queue.server(0), nodes.servers, name, defaults);
      return stack;
    },
    /** A stack every test of the suite shares (create it in `beforeAll`), disposed after them. */
    createForSuite(name: string, defaults: Readonly<Record<string, string>> = {}): E2eStack {
      suiteStack = new E2eStack(queue.server(0), nodes.servers, name, defaults);
      return suiteStack;
    },
  };
}
