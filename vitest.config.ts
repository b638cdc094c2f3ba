import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Redis suites start their own servers; two cores do not run many at once well.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
