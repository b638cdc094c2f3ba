import { describe, expect, it } from 'vitest';
import {
  CONFIG_FLAGS,
  SETTINGS,
  parseConfig,
  requireNodes,
  requireQueue,
  type SettingName,
} from '../../src/config/index.js';
import { ConfigError } from '../../src/errors/index.js';
import { configErrorOf } from './config-error-of.js';

function errorOf(
  env: Record<string, string | undefined>,
  flags: Record<string, string | undefined> = {},
): ConfigError {
  return configErrorOf(() => parseConfig(env, flags), JSON.stringify({ env, flags }));
}

/** At least one bad value per setting, with what the message must say about the accepted form. */
const BAD_VALUES: Record<SettingName, Array<[string, RegExp]>> = {
  queueUrl: [
    [
      'localhost:6379',
      /unsupported scheme "localhost:".*expected redis:\/\/, rediss:\/\/ or redis\+sentinel:\/\//,
    ],
    ['redis+sentinel://h:26379', /no master name.*expected redis\+sentinel:\/\//],
    ['redis+sentinel://h:x/m', /sentinel "h:x" is not host\[:port\]/],
    ['127.0.0.1', /not a URL.*expected redis:\/\/\[user:password@\]host\[:port\]\[\/db\]/],
    ['redis://h/x', /database must be a number 0-99/],
  ],
  queueName: [
    ['a:b', /"a:b" must be 1-64 characters of \[A-Za-z0-9_.\{\}-\]/],
    ['x'.repeat(65), /must be 1-64 characters/],
  ],
  nodes: [
    ['   ', /empty node list \(expected id\[:weight\]=url/],
    ['redis://127.0.0.1:7001', /entry 1 .*expected id\[:weight\]=url/],
    ['a:0=redis://h:1', /weight 0 must be between 1 and 1000/],
    ['a=redis://h:1,a=redis://h:2', /node id "a" appears twice/],
    ['a b=redis://h:1', /must match \[A-Za-z0-9_.-\]\+/],
  ],
  prefix: [
    ['my prefix', /"my prefix" must be 1-64 characters of \[A-Za-z0-9_.:\{\}-\]/],
    ['a*', /must be 1-64 characters/],
    ['x'.repeat(65), /must be 1-64 characters/],
  ],
  buckets: [
    ['0', /0 is out of range \(expected 1\.\.16777216\)/],
    ['many', /"many" is not an integer \(expected 1\.\.16777216\)/],
  ],
  ringAlgorithm: [['md5', /"md5" is not one of ketama, points/]],
  ringPoints: [['0', /out of range \(expected 1\.\.10000\)/]],
  rollups: [
    ['week:30d', /unknown granularity "week"/],
    ['minute:48h,minute:1d', /"minute" is given twice/],
    ['hour:10m', /shorter than one hour/],
    ['minute:soon', /"soon" is not a duration/],
  ],
  flushIntervalMs: [
    ['5', /5 is out of range \(expected 10\.\.3600000\)/],
    ['1.5', /"1\.5" is not an integer \(expected 10\.\.3600000\)/],
    ['1e3', /"1e3" is not an integer/],
    ['0x10', /"0x10" is not an integer/],
  ],
  concurrency: [['0', /out of range \(expected 1\.\.100000\)/]],
  maxBufferCounters: [['-1', /out of range \(expected 1\.\.100000000\)/]],
  maxBufferBytes: [['1023', /out of range \(expected 1024\.\.68719476736\)/]],
  maxScriptCounters: [['0', /out of range \(expected 1\.\.1000000\)/]],
  flushParallelism: [['1025', /out of range \(expected 1\.\.1024\)/]],
  markerTtlSeconds: [['59', /out of range \(expected 60\.\.2592000\)/]],
  markerGraceSeconds: [['0', /out of range \(expected 1\.\.86400\)/]],
  minReplicas: [['-1', /out of range \(expected 0\.\.64\)/]],
  replicaWaitMs: [['0', /out of range \(expected 1\.\.60000\)/]],
  publishUpdates: [['maybe', /"maybe" is not a boolean \(expected true\/false\)/]],
  shutdownTimeoutMs: [['99', /out of range \(expected 100\.\.3600000\)/]],
  lockDurationMs: [['999', /out of range \(expected 1000\.\.3600000\)/]],
  maxClockSkewMs: [
    ['0', /out of range \(expected 1\.\.1800000\)/],
    ['15000', /must be less than half of the lock duration \(30000\), COUNTD_LOCK_DURATION_MS/],
  ],
  metricsHost: [['bad host!', /"bad host!" is not a host name or address/]],
  metricsPort: [
    ['65536', /out of range \(expected 0\.\.65535\)/],
    ['http', /"http" is not an integer/],
  ],
  logLevel: [['verbose', /"verbose" is not one of fatal, error, warn, info, debug, trace, silent/]],
  gatewayHost: [['a/b', /"a\/b" is not a host name or address/]],
  gatewayPort: [['65536', /out of range \(expected 0\.\.65535\)/]],
  statsdHost: [['bad host!', /"bad host!" is not a host name or address/]],
  statsdPort: [['-1', /out of range \(expected 0\.\.65535\)/]],
  gatewayToken: [
    ['short-token', /must be 16-512 visible ASCII characters \(value not shown\)/],
    ['a token with spaces', /must be 16-512 visible ASCII characters/],
  ],
  gatewayMaxBodyBytes: [['10', /out of range \(expected 64\.\.1073741824\)/]],
  uiHost: [['<script>', /"<script>" is not a host name or address/]],
  uiPort: [['8o88', /"8o88" is not an integer/]],
};

const CASES = (Object.entries(BAD_VALUES) as Array<[SettingName, Array<[string, RegExp]>]>).flatMap(
  ([key, values]) => values.map(([raw, form]) => [key, raw, form] as const),
);

describe('parseConfig', () => {
  it('gives the documented defaults, with no queue and no nodes, frozen', () => {
    const config = parseConfig({});
    expect(config).toEqual({
      queue: undefined,
      nodes: undefined,
      queueName: 'countd',
      prefix: 'countd',
      buckets: 4096,
      ringAlgorithm: 'ketama',
      ringPoints: 160,
      rollups: [],
      flushIntervalMs: 1000,
      concurrency: 2000,
      maxBufferCounters: 1_000_000,
      maxBufferBytes: 134_217_728,
      maxScriptCounters: 5000,
      flushParallelism: 4,
      markerTtlSeconds: 86_400,
      markerGraceSeconds: 300,
      minReplicas: 0,
      replicaWaitMs: 1000,
      publishUpdates: true,
      shutdownTimeoutMs: 30_000,
      lockDurationMs: 30_000,
      maxClockSkewMs: 1000,
      metricsHost: '127.0.0.1',
      metricsPort: 9464,
      logLevel: 'info',
      gatewayHost: '127.0.0.1',
      gatewayPort: 8464,
      statsdHost: '127.0.0.1',
      statsdPort: 8125,
      gatewayMaxBodyBytes: 1_048_576,
      uiHost: '127.0.0.1',
      uiPort: 8088,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('documents a default for every setting that matches what parseConfig gives', () => {
    const config = parseConfig({}) as unknown as Record<string, unknown>;
    for (const [key, setting] of Object.entries(SETTINGS)) {
      if (!('default' in setting)) continue;
      expect(String(config[key]), key).toBe(setting.default);
    }
  });

  it('reads every COUNTD_* variable', () => {
    const config = parseConfig({
      COUNTD_QUEUE_URL: 'redis://:pw@q.example:6390/2',
      COUNTD_QUEUE_NAME: 'views',
      COUNTD_NODES: 'a=redis://127.0.0.1:7001,b:2=redis://127.0.0.1:7002',
      COUNTD_PREFIX: 'c{1}',
      COUNTD_BUCKETS: '1_024',
      COUNTD_RING_ALGORITHM: 'points',
      COUNTD_RING_POINTS: '40',
      COUNTD_FLUSH_INTERVAL_MS: ' 250 ',
      COUNTD_CONCURRENCY: '10',
      COUNTD_MAX_BUFFER_COUNTERS: '100',
      COUNTD_MAX_BUFFER_BYTES: '2048',
      COUNTD_MAX_SCRIPT_COUNTERS: '50',
      COUNTD_FLUSH_PARALLELISM: '2',
      COUNTD_MARKER_TTL_S: '3600',
      COUNTD_MARKER_GRACE_S: '60',
      COUNTD_PUBLISH: 'off',
      COUNTD_SHUTDOWN_TIMEOUT_MS: '5000',
      COUNTD_LOCK_DURATION_MS: '10000',
      COUNTD_MAX_CLOCK_SKEW_MS: '250',
      COUNTD_METRICS_HOST: '0.0.0.0',
      COUNTD_METRICS_PORT: '0',
      COUNTD_LOG_LEVEL: 'debug',
      PATH: '/usr/bin', // not ours: ignored
    });
    expect(config).toMatchObject({
      queue: { host: 'q.example', port: 6390, db: 2, password: 'pw', tls: false },
      queueName: 'views',
      prefix: 'c{1}',
      buckets: 1024,
      ringAlgorithm: 'points',
      ringPoints: 40,
      flushIntervalMs: 250,
      concurrency: 10,
      maxBufferCounters: 100,
      maxBufferBytes: 2048,
      maxScriptCounters: 50,
      flushParallelism: 2,
      markerTtlSeconds: 3600,
      markerGraceSeconds: 60,
      publishUpdates: false,
      shutdownTimeoutMs: 5000,
      lockDurationMs: 10_000,
      maxClockSkewMs: 250,
      metricsHost: '0.0.0.0',
      metricsPort: 0,
      logLevel: 'debug',
    });
    expect(config.nodes?.map((n) => [n.id, n.weight])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(requireQueue(config).host).toBe('q.example');
    expect(requireNodes(config)).toHaveLength(2);
  });

  it('lets a flag override its variable, and treats an empty variable as unset', () => {
    const env = { COUNTD_FLUSH_INTERVAL_MS: '500', COUNTD_LOG_LEVEL: 'warn', COUNTD_PREFIX: '' };
    const config = parseConfig(env, { 'flush-interval-ms': '250' });
    expect(config.flushIntervalMs).toBe(250);
    expect(config.logLevel).toBe('warn');
    expect(config.prefix).toBe('countd');
    // The flag wins even over a bad variable, which is then never read.
    expect(parseConfig({ COUNTD_BUCKETS: 'bad' }, { buckets: '8' }).buckets).toBe(8);
  });

  it('has one flag per setting, named after it', () => {
    expect(CONFIG_FLAGS).toHaveLength(Object.keys(SETTINGS).length);
    for (const setting of Object.values(SETTINGS)) {
      expect(setting.env).toBe(`COUNTD_${setting.flag.toUpperCase().replace(/-/g, '_')}`);
    }
  });

  it('has at least one bad value for every setting in this test', () => {
    expect(Object.keys(BAD_VALUES).sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  it.each(CASES)('rejects %s = %j naming the variable and the accepted form', (key, raw, form) => {
    const { env: name, flag } = SETTINGS[key];
    const fromEnv = errorOf({ [name]: raw });
    expect(fromEnv.setting.startsWith(name)).toBe(true);
    expect(fromEnv.message.startsWith(`${name}`)).toBe(true);
    expect(fromEnv.message).toMatch(form);

    const fromFlag = errorOf({ [name]: undefined }, { [flag]: raw });
    expect(fromFlag.message.startsWith(`--${flag}`)).toBe(true);
    expect(fromFlag.message).toMatch(form);
  });

  it('rejects an empty flag value instead of ignoring it', () => {
    expect(errorOf({}, { 'flush-interval-ms': '' }).message).toMatch(
      /^--flush-interval-ms: "" is not an integer/,
    );
  });

  it.each(['COUNTD_FLUSH_INTERVAL', 'COUNTD_NODE', 'COUNTD_queue_url'])(
    'rejects the unknown variable %s',
    (name) => {
      const error = errorOf({ [name]: '1' });
      expect(error.setting).toBe(name);
      expect(error.message).toBe(
        `${name}: unknown setting (see the README for the COUNTD_* variables)`,
      );
    },
  );

  it('tolerates the variables of the test harness and the local stack', () => {
    expect(() =>
      parseConfig({
        COUNTD_TEST_REDIS: 'process',
        COUNTD_TEST_REDIS_IMAGE: 'x',
        COUNTD_REDIS_SERVER: '/usr/bin/redis-server',
        COUNTD_DATA_DIR: '/tmp/x',
      }),
    ).not.toThrow();
  });

  it('says how to provide a missing queue or node list', () => {
    const config = parseConfig({});
    expect(() => requireQueue(config)).toThrow(
      'COUNTD_QUEUE_URL: not set (expected redis://host:port, or use --queue-url)',
    );
    expect(() => requireNodes(config)).toThrow(
      'COUNTD_NODES: not set (expected id[:weight]=url,..., or use --nodes)',
    );
  });

  describe('never puts a password in an error', () => {
    it.each([
      ['COUNTD_QUEUE_URL', 'redis://user:secret@h/abc'],
      ['COUNTD_QUEUE_URL', 'http://user:secret@h'],
      ['COUNTD_QUEUE_URL', 'redis://user:secret@h:70000'],
      ['COUNTD_QUEUE_URL', 'redis://user:se@cret@h/x'],
      ['COUNTD_QUEUE_URL', 'redis://user:se/cret@h'],
      ['COUNTD_NODES', 'a=redis://user:secret@h/abc'],
      ['COUNTD_NODES', 'a:0=redis://user:secret@h:1'],
      ['COUNTD_NODES', 'a b=redis://user:secret@h:1'],
      ['COUNTD_NODES', 'a=redis://:secret@h:1,a=redis://:secret@h:2'],
      ['COUNTD_NODES', 'a=redis://u:se@cret@h:1/x'],
      ['COUNTD_NODES', 'a=redis://u:se/cret@h:1'],
    ])('%s=%s', (name, raw) => {
      const error = errorOf({ [name]: raw });
      expect(error.message).not.toMatch(/secret|cret/);
      expect(String(error.stack)).not.toMatch(/secret|cret/);
    });
  });
});
