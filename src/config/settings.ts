import { ConfigError } from '../errors/index.js';
import { parseNodeList, type NodeSpec } from './node-spec.js';
import { parseRedisUrl, type RedisConnection } from './redis-url.js';
import { MAX_POINTS_PER_WEIGHT } from '../ring/ring-options.js';
import { parseRollups, type Rollups } from '../rollups/index.js';
import { assertKeyPrefix, assertQueueName } from '../validation/index.js';

/** One configurable value: read from `env`, overridden by `--flag`. */
export interface Setting<T> {
  readonly env: string;
  readonly flag: string;
  /**
   * The default, written as a user would set it and parsed like a value the user gave: the one
   * place a default is written (the library's defaults and the README are derived from it).
   * Absent: the value stays unset unless given.
   */
  readonly default?: string;
  /** What the README's default column says when there is no default. */
  readonly unset?: string;
  /** Markdown, as the README's table shows it. */
  readonly description: string;
  parse(raw: string, source: string): T;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function integer(min: number, max: number) {
  return (raw: string, source: string): number => {
    const text = raw.trim().replace(/_/g, '');
    if (!/^-?\d+$/.test(text))
      throw new ConfigError(source, `"${raw}" is not an integer (expected ${min}..${max})`);
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new ConfigError(source, `${raw} is out of range (expected ${min}..${max})`);
    }
    return value;
  };
}

function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string, source: string): T => {
    const found = values.find((v) => v === raw.trim());
    if (found === undefined)
      throw new ConfigError(source, `"${raw}" is not one of ${values.join(', ')}`);
    return found;
  };
}

function keyPrefix(raw: string, source: string): string {
  assertKeyPrefix(raw, source);
  return raw;
}

function queueName(raw: string, source: string): string {
  assertQueueName(raw, source);
  return raw;
}

function host(raw: string, source: string): string {
  if (!/^[A-Za-z0-9.:_-]{1,255}$/.test(raw))
    throw new ConfigError(source, `"${raw}" is not a host name or address`);
  return raw;
}

// Visible ASCII only: the token travels in an HTTP header, and a token with spaces or
// controls is a pasting accident. 16 characters at least: a guessable token protects nothing.
function gatewayToken(raw: string, source: string): string {
  if (!/^[\x21-\x7e]{16,512}$/.test(raw))
    throw new ConfigError(source, 'must be 16-512 visible ASCII characters (value not shown)');
  return raw;
}

function bool(raw: string, source: string): boolean {
  const text = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new ConfigError(source, `"${raw}" is not a boolean (expected true/false)`);
}

/**
 * Every setting of countd, in README order. The README table is this list as `countd help env`
 * prints it (test/docs/readme.test.ts checks they are the same), so a setting cannot exist
 * undocumented, nor with a default other than the one applied.
 */
export const SETTINGS = {
  queueUrl: {
    env: 'COUNTD_QUEUE_URL',
    flag: 'queue-url',
    unset: '(none: `countd up` starts a local Redis)',
    description:
      'Redis holding the BullMQ queue: `redis://[user:password@]host[:port][/db]`, `rediss://` (TLS) or `redis+sentinel://[user:password@]host:port[+host:port...]/<master>[/db][?sentinelUsername=...&sentinelPassword=...]`',
    parse: (raw: string, source: string): RedisConnection => parseRedisUrl(raw, source),
  },
  queueName: {
    env: 'COUNTD_QUEUE_NAME',
    flag: 'queue-name',
    default: 'countd',
    description: 'BullMQ queue name',
    parse: queueName,
  },
  nodes: {
    env: 'COUNTD_NODES',
    flag: 'nodes',
    unset: '(none: `countd up` starts 3 local nodes)',
    description:
      'storage nodes, `id[:weight]=url,...` e.g. `a=redis://127.0.0.1:7001,b:2=redis://127.0.0.1:7002`; a url may be `redis+sentinel://...` as for the queue',
    parse: (raw: string, source: string): readonly NodeSpec[] => parseNodeList(raw, source),
  },
  prefix: {
    env: 'COUNTD_PREFIX',
    flag: 'prefix',
    default: 'countd',
    description: 'key prefix on storage nodes (part of the ring fingerprint)',
    parse: keyPrefix,
  },
  buckets: {
    env: 'COUNTD_BUCKETS',
    flag: 'buckets',
    default: '4096',
    description: 'hashes per node that counters are spread over (part of the ring fingerprint)',
    parse: integer(1, 1 << 24),
  },
  ringAlgorithm: {
    env: 'COUNTD_RING_ALGORITHM',
    flag: 'ring-algorithm',
    default: 'ketama',
    description:
      '`ketama` (libketama-compatible) or `points` (configurable points per weight unit)',
    parse: oneOf(['ketama', 'points'] as const),
  },
  ringPoints: {
    env: 'COUNTD_RING_POINTS',
    flag: 'ring-points',
    default: '160',
    description: 'points per weight unit in the `points` algorithm',
    parse: integer(1, MAX_POINTS_PER_WEIGHT),
  },
  rollups: {
    env: 'COUNTD_ROLLUPS',
    flag: 'rollups',
    // Empty: no rollups. The table shows `unset` for an empty default.
    default: '',
    unset: '(none: totals only)',
    description:
      'time buckets kept per counter, `<granularity>:<retention>,...` with granularities `minute`, `hour`, `day` and retentions `<n>s`, `<n>m`, `<n>h`, `<n>d`, e.g. `minute:48h,hour:35d,day:400d` (part of the ring fingerprint; docs/series.md)',
    parse: (raw: string, source: string): Rollups => parseRollups(raw, source),
  },
  flushIntervalMs: {
    env: 'COUNTD_FLUSH_INTERVAL_MS',
    flag: 'flush-interval-ms',
    default: '1000',
    description: 'how often the worker flushes its buffer',
    parse: integer(10, 3_600_000),
  },
  concurrency: {
    env: 'COUNTD_CONCURRENCY',
    flag: 'concurrency',
    default: '2000',
    description: 'jobs a worker holds at once; must cover jobs/s × (flush interval + flush time)',
    parse: integer(1, 100_000),
  },
  maxBufferCounters: {
    env: 'COUNTD_MAX_BUFFER_COUNTERS',
    flag: 'max-buffer-counters',
    default: '1000000',
    description: 'distinct buffered counters that trigger an early flush',
    parse: integer(1, 100_000_000),
  },
  maxBufferBytes: {
    env: 'COUNTD_MAX_BUFFER_BYTES',
    flag: 'max-buffer-bytes',
    default: '134217728',
    description:
      'approximate buffer bytes that trigger an early flush; at twice this the worker stops taking jobs',
    parse: integer(1024, 64 * 1024 ** 3),
  },
  maxScriptCounters: {
    env: 'COUNTD_MAX_SCRIPT_COUNTERS',
    flag: 'max-script-counters',
    default: '5000',
    description: 'HINCRBYs per atomic apply script, so one script never blocks a node for long',
    parse: integer(1, 1_000_000),
  },
  flushParallelism: {
    env: 'COUNTD_FLUSH_PARALLELISM',
    flag: 'flush-parallelism',
    default: '4',
    description: 'storage nodes flushed at once',
    parse: integer(1, 1024),
  },
  markerTtlSeconds: {
    env: 'COUNTD_MARKER_TTL_S',
    flag: 'marker-ttl-s',
    default: '86400',
    description: 'lifetime of an "applied" job marker while its job is still held',
    parse: integer(60, 30 * 86_400),
  },
  markerGraceSeconds: {
    env: 'COUNTD_MARKER_GRACE_S',
    flag: 'marker-grace-s',
    default: '300',
    description:
      'marker lifetime after its job completed (covers producer retries of the same job id)',
    parse: integer(1, 86_400),
  },
  minReplicas: {
    env: 'COUNTD_MIN_REPLICAS',
    flag: 'min-replicas',
    default: '0',
    description:
      'replicas that must acknowledge (`WAIT`) a flush before its jobs complete, and a job before a producer confirms it; 0: the primary alone (a failover may lose what it had not replicated, docs/guarantees.md)',
    parse: integer(0, 64),
  },
  replicaWaitMs: {
    env: 'COUNTD_REPLICA_WAIT_MS',
    flag: 'replica-wait-ms',
    default: '1000',
    description:
      'how long one `WAIT` for `COUNTD_MIN_REPLICAS` replicas may block; short of them, the flush or the confirmation is retried',
    parse: integer(1, 60_000),
  },
  publishUpdates: {
    env: 'COUNTD_PUBLISH',
    flag: 'publish',
    default: 'true',
    description: 'publish new values on each node for `watch`',
    parse: bool,
  },
  shutdownTimeoutMs: {
    env: 'COUNTD_SHUTDOWN_TIMEOUT_MS',
    flag: 'shutdown-timeout-ms',
    default: '30000',
    description: 'drain deadline on SIGTERM/SIGINT; unflushed jobs are redelivered after it',
    parse: integer(100, 3_600_000),
  },
  lockDurationMs: {
    env: 'COUNTD_LOCK_DURATION_MS',
    flag: 'lock-duration-ms',
    default: '30000',
    description: "job lock: a crashed worker's held jobs are redelivered after about this long",
    parse: integer(1000, 3_600_000),
  },
  maxClockSkewMs: {
    env: 'COUNTD_MAX_CLOCK_SKEW_MS',
    flag: 'max-clock-skew-ms',
    default: '1000',
    description:
      'most the clocks of the queue Redis and a storage node differ by: an apply must reach its node this long before the job lock ends (below half the lock; unset, at most a quarter of it)',
    parse: integer(1, 1_800_000),
  },
  metricsHost: {
    env: 'COUNTD_METRICS_HOST',
    flag: 'metrics-host',
    default: '127.0.0.1',
    description: 'address of `/metrics`, `/healthz`, `/readyz`',
    parse: host,
  },
  metricsPort: {
    env: 'COUNTD_METRICS_PORT',
    flag: 'metrics-port',
    default: '9464',
    description: 'port of `/metrics`, `/healthz`, `/readyz` (0: pick a free port)',
    parse: integer(0, 65_535),
  },
  logLevel: {
    env: 'COUNTD_LOG_LEVEL',
    flag: 'log-level',
    default: 'info',
    description: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`',
    parse: oneOf(LOG_LEVELS),
  },
  gatewayHost: {
    env: 'COUNTD_GATEWAY_HOST',
    flag: 'gateway-host',
    default: '127.0.0.1',
    description:
      "address of `countd gateway`'s HTTP ingest (`POST /v1/increments`, `GET /v1/counters`)",
    parse: host,
  },
  gatewayPort: {
    env: 'COUNTD_GATEWAY_PORT',
    flag: 'gateway-port',
    default: '8464',
    description: "port of `countd gateway`'s HTTP ingest (0: pick a free port)",
    parse: integer(0, 65_535),
  },
  statsdHost: {
    env: 'COUNTD_STATSD_HOST',
    flag: 'statsd-host',
    default: '127.0.0.1',
    description: "address of `countd gateway`'s StatsD intake (TCP and UDP)",
    parse: host,
  },
  statsdPort: {
    env: 'COUNTD_STATSD_PORT',
    flag: 'statsd-port',
    default: '8125',
    description:
      "port of `countd gateway`'s StatsD intake, TCP and UDP alike (0: pick a free port)",
    parse: integer(0, 65_535),
  },
  gatewayToken: {
    env: 'COUNTD_GATEWAY_TOKEN',
    flag: 'gateway-token',
    unset: '(none: no authentication)',
    description:
      "bearer token `countd gateway`'s HTTP API requires (`Authorization: Bearer <token>`), 16-512 visible ASCII characters; a secret, never logged",
    parse: gatewayToken,
  },
  gatewayMaxBodyBytes: {
    env: 'COUNTD_GATEWAY_MAX_BODY_BYTES',
    flag: 'gateway-max-body-bytes',
    default: '1048576',
    description: 'largest HTTP request body `countd gateway` reads; past it, 413',
    parse: integer(64, 1024 ** 3),
  },
  uiHost: {
    env: 'COUNTD_UI_HOST',
    flag: 'ui-host',
    default: '127.0.0.1',
    description:
      'address of the web page of `countd ui` (and `countd up`); it has no authentication: keep it on loopback or behind a proxy that has',
    parse: host,
  },
  uiPort: {
    env: 'COUNTD_UI_PORT',
    flag: 'ui-port',
    default: '8088',
    description: 'port of the web page of `countd ui` (and `countd up`; 0: pick a free port)',
    parse: integer(0, 65_535),
  },
} as const satisfies Record<string, Setting<unknown>>;

export type SettingName = keyof typeof SETTINGS;

/** The value a setting parses to. */
export type SettingValue<K extends SettingName> = ReturnType<(typeof SETTINGS)[K]['parse']>;

/** The settings that have a default (the others stay unset unless given). */
export type DefaultedSetting = {
  [K in SettingName]: (typeof SETTINGS)[K] extends { readonly default: string } ? K : never;
}[SettingName];

/** A variable read outside parseConfig (by `countd up`, by the tests): a README row, no parser. */
export interface OtherVariable {
  readonly env: string;
  /** Markdown of the README's flag and default columns. */
  readonly flag: string;
  readonly default: string;
  readonly description: string;
}

/** Variables `countd up` reads itself; listed in the README table after the settings. */
export const OTHER_VARIABLES: readonly OtherVariable[] = [
  {
    env: 'COUNTD_DATA_DIR',
    flag: '`--data-dir` (up, demo)',
    default: '`.countd`',
    description: 'where `countd up` keeps its local Redis data and worker logs',
  },
  {
    env: 'COUNTD_REDIS_SERVER',
    flag: '—',
    default: '`redis-server` from PATH',
    description: 'the binary `countd up` and the tests start',
  },
];

/** Variables only the test harness reads (docs/testing.md). */
export const TEST_VARIABLES: readonly string[] = ['COUNTD_TEST_REDIS', 'COUNTD_TEST_REDIS_IMAGE'];
