import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { WORKER_DEFAULTS } from '../../src/worker/index.js';

describe('defaults shared with the library', () => {
  it('the worker library defaults equal the documented settings defaults', () => {
    const config = parseConfig({});
    for (const key of [
      'queueName',
      'prefix',
      'buckets',
      'flushIntervalMs',
      'concurrency',
      'maxBufferCounters',
      'maxBufferBytes',
      'maxScriptCounters',
      'flushParallelism',
      'markerTtlSeconds',
      'markerGraceSeconds',
      'publishUpdates',
      'lockDurationMs',
    ] as const) {
      expect(config[key], key).toBe(WORKER_DEFAULTS[key]);
    }
  });
});
