import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { parseConfig } from '../../src/config/index.js';
import { PRODUCER_DEFAULTS, resolveProducerOptions } from '../../src/producer/index.js';
import { producerOptionsFromConfig } from '../../src/producer/producer-options.js';

const queue = { host: '127.0.0.1', port: 1 };

describe('resolveProducerOptions', () => {
  it('merges the defaults, ignores undefined values and freezes the result', () => {
    const options = resolveProducerOptions({ queue, lingerMs: undefined, maxBatch: 500 });
    expect(options).toMatchObject({ ...PRODUCER_DEFAULTS, maxBatch: 500, queue });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('makes a producer id unique per instance, in the allowed alphabet', () => {
    const a = resolveProducerOptions({ queue }).producerId;
    const b = resolveProducerOptions({ queue }).producerId;
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_.:-]{1,128}$/);
    expect(a).toContain(`-${process.pid}-`);
  });

  it.each([
    ['lingerMs', -1, 'lingerMs: must be an integer from 0 to 60000, got -1'],
    ['lingerMs', 1.5, 'lingerMs: must be an integer from 0 to 60000, got 1.5'],
    ['maxBatch', 0, 'maxBatch: must be an integer from 1 to 10000, got 0'],
    ['maxBatch', 10_001, 'maxBatch: must be an integer from 1 to 10000, got 10001'],
    ['maxPendingIncrements', 0, 'maxPendingIncrements: must be an integer from 1'],
    ['maxInFlight', Number.NaN, 'maxInFlight: must be an integer from 1 to 10000, got NaN'],
    ['attemptTimeoutMs', 0, 'attemptTimeoutMs: must be an integer'],
    ['deadlineMs', '1000', 'deadlineMs: must be an integer from 1 to 86400000, got 1000'],
    ['keepFailedJobs', -1, 'keepFailedJobs: must be an integer from 0'],
    [
      'producerId',
      'has space',
      'producerId: "has space" must be 1-128 characters of [A-Za-z0-9_.:-]',
    ],
    ['producerId', '', 'producerId: "" must be 1-128 characters'],
  ])('rejects %s = %j, naming the option', (key, value, message) => {
    const run = () => resolveProducerOptions({ queue, [key]: value } as never);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
  });
});

describe('producerOptionsFromConfig', () => {
  it("takes the config's queue and queue name, and the caller's batching", () => {
    const config = parseConfig({
      COUNTD_QUEUE_URL: 'rediss://u:pw@q.example:6390/3',
      COUNTD_QUEUE_NAME: 'views',
    });
    const options = resolveProducerOptions(
      producerOptionsFromConfig(config, { lingerMs: 0, deadlineMs: 10_000 }),
    );
    expect(options).toMatchObject({
      queue: { host: 'q.example', port: 6390, db: 3, username: 'u', password: 'pw' },
      queueName: 'views',
      lingerMs: 0,
      deadlineMs: 10_000,
      maxBatch: PRODUCER_DEFAULTS.maxBatch,
    });
    expect(options.queue.tls).toEqual({ servername: 'q.example' });
  });

  it('names the missing queue URL', () => {
    expect(() => producerOptionsFromConfig(parseConfig({}))).toThrow(/^COUNTD_QUEUE_URL: not set/);
  });

  it('refuses a queue name BullMQ cannot take, as the settings do', () => {
    expect(() => resolveProducerOptions({ queue, queueName: 'a:b' })).toThrow(
      /^queueName: "a:b" must be 1-64 characters of \[A-Za-z0-9_.\{\}-\]/,
    );
  });
});
