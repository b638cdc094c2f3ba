import { ConfigError } from '../errors/index.js';
import { parseNodeList, type NodeSpec } from './node-spec.js';
import { parseRedisUrl, type RedisConnection } from './redis-url.js';

/** One configurable value: read from `env`, overridden by `--flag`. */
export interface Setting<T> {
  readonly env: string;
  readonly flag: string;
  /** Default as shown in the README; `undefined` means "not set". */
  readonly defaultText: string;
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
  if (!/^[A-Za-z0-9_.{}-]{1,64}$/.test(raw)) {
    throw new ConfigError(source, `"${raw}" must be 1-64 characters of [A-Za-z0-9_.{}-]`);
  }
  return raw;
}

function host(raw: string, source: string): string {
  if (!/^[A-Za-z0-9.:_-]{1,255}$/.test(raw))
    throw new ConfigError(source, `"${raw}" is not a host name or address`);
  return raw;
}

function bool(raw: string, source: string): boolean {
  const text = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new ConfigError(source, `"${raw}" is not a boolean (expected true/false)`);
}

/**
 * Every setting of countd, in README order. The README table is generated from this list
 * (`countd help env`), so a setting cannot exist undocumented.
 */
export const SETTINGS = {
  queueUrl: {
    env: 'COUNTD_QUEUE_URL',
    flag: 'queue-url',
    defaultText: '(none: `countd up` starts a local Redis)',
    description:
      'Redis holding the BullMQ queue: redis://[user:password@]host[:port][/db] or rediss://',
    parse: (raw: string, source: string): RedisConnection => parseRedisUrl(raw, source),
  },
  queueName: {
    env: 'COUNTD_QUEUE_NAME',
    flag: 'queue-name',
    defaultText: 'countd',
    description: 'BullMQ queue name',
    parse: keyPrefix,
  },
  nodes: {
    env: 'COUNTD_NODES',
    flag: 'nodes',
    defaultText: '(none: `countd up` starts 3 local nodes)',
    description:
      'storage nodes, id[:weight]=url,... e.g. a=redis://127.0.0.1:7001,b:2=redis://127.0.0.1:7002',
    parse: (raw: string, source: string): readonly NodeSpec[] => parseNodeList(raw, source),
  },
  prefix: {
    env: 'COUNTD_PREFIX',
    flag: 'prefix',
    defaultText: 'countd',
    description: 'key prefix on storage nodes (part of the ring fingerprint)',
    parse: keyPrefix,
  },
  buckets: {
    env: 'COUNTD_BUCKETS',
    flag: 'buckets',
    defaultText: '4096',
    description: 'hashes per node that counters are spread over (part of the ring fingerprint)',
    parse: integer(1, 1 << 24),
  },
  ringAlgorithm: {
    env: 'COUNTD_RING_ALGORITHM',
    flag: 'ring-algorithm',
    defaultText: 'ketama',
    description: 'ketama (libketama-compatible) or points (configurable points per weight unit)',
    parse: oneOf(['ketama', 'points'] as const),
  },
  ringPoints: {
    env: 'COUNTD_RING_POINTS',
    flag: 'ring-points',
    defaultText: '160',
    description: 'points per weight unit in the points algorithm',
    parse: integer(1, 10_000),
  },
  flushIntervalMs: {
    env: 'COUNTD_FLUSH_INTERVAL_MS',
    flag: 'flush-interval-ms',
    defaultText: '1000',
    description: 'how often the worker flushes its buffer',
    parse: integer(10, 3_600_000),
  },
  concurrency: {
    env: 'COUNTD_CONCURRENCY',
    flag: 'concurrency',
    defaultText: '2000',
    description: 'jobs a worker holds at once; must cover jobs/s x (flush interval + flush time)',
    parse: integer(1, 100_000),
  },
  maxBufferCounters: {
    env: 'COUNTD_MAX_BUFFER_COUNTERS',
    flag: 'max-buffer-counters',
    defaultText: '1000000',
    description: 'distinct buffered counters that trigger an early flush',
    parse: integer(1, 100_000_000),
  },
  maxBufferBytes: {
    env: 'COUNTD_MAX_BUFFER_BYTES',
    flag: 'max-buffer-bytes',
    defaultText: '134217728',
    description:
      'approximate buffer bytes that trigger an early flush; at twice this, the worker stops taking jobs',
    parse: integer(1024, 64 * 1024 ** 3),
  },
  maxScriptCounters: {
    env: 'COUNTD_MAX_SCRIPT_COUNTERS',
    flag: 'max-script-counters',
    defaultText: '5000',
    description: 'HINCRBYs per atomic apply script, so one script never blocks a node for long',
    parse: integer(1, 1_000_000),
  },
  flushParallelism: {
    env: 'COUNTD_FLUSH_PARALLELISM',
    flag: 'flush-parallelism',
    defaultText: '4',
    description: 'storage nodes flushed at once',
    parse: integer(1, 1024),
  },
  markerTtlSeconds: {
    env: 'COUNTD_MARKER_TTL_S',
    flag: 'marker-ttl-s',
    defaultText: '86400',
    description: 'lifetime of an "applied" job marker while its job is still held',
    parse: integer(60, 30 * 86_400),
  },
  markerGraceSeconds: {
    env: 'COUNTD_MARKER_GRACE_S',
    flag: 'marker-grace-s',
    defaultText: '300',
    description:
      'marker lifetime after its job completed (covers producer retries of the same job id)',
    parse: integer(1, 86_400),
  },
  publishUpdates: {
    env: 'COUNTD_PUBLISH',
    flag: 'publish',
    defaultText: 'true',
    description: 'publish new values on each node for `watch`',
    parse: bool,
  },
  shutdownTimeoutMs: {
    env: 'COUNTD_SHUTDOWN_TIMEOUT_MS',
    flag: 'shutdown-timeout-ms',
    defaultText: '30000',
    description: 'drain deadline on SIGTERM/SIGINT; unflushed jobs are redelivered after it',
    parse: integer(100, 3_600_000),
  },
  lockDurationMs: {
    env: 'COUNTD_LOCK_DURATION_MS',
    flag: 'lock-duration-ms',
    defaultText: '30000',
    description: "job lock: a crashed worker's held jobs are redelivered after about this long",
    parse: integer(1000, 3_600_000),
  },
  maxClockSkewMs: {
    env: 'COUNTD_MAX_CLOCK_SKEW_MS',
    flag: 'max-clock-skew-ms',
    defaultText: '1000',
    description:
      'most the clocks of the queue Redis and a storage node differ by: an apply must reach its node this long before the job lock ends (below half the lock; unset, at most a quarter of it)',
    parse: integer(1, 1_800_000),
  },
  metricsHost: {
    env: 'COUNTD_METRICS_HOST',
    flag: 'metrics-host',
    defaultText: '127.0.0.1',
    description: 'address of /metrics, /healthz, /readyz',
    parse: host,
  },
  metricsPort: {
    env: 'COUNTD_METRICS_PORT',
    flag: 'metrics-port',
    defaultText: '9464',
    description: 'port of /metrics, /healthz, /readyz (0: pick a free port)',
    parse: integer(0, 65_535),
  },
  logLevel: {
    env: 'COUNTD_LOG_LEVEL',
    flag: 'log-level',
    defaultText: 'info',
    description: 'fatal, error, warn, info, debug, trace or silent',
    parse: oneOf(LOG_LEVELS),
  },
} as const satisfies Record<string, Setting<unknown>>;

export type SettingName = keyof typeof SETTINGS;
