import { ConfigError } from '../errors/index.js';
import { clockSkewMargin } from './clock-skew.js';
import type { NodeSpec } from './node-spec.js';
import type { RedisConnection } from './redis-url.js';
import { SETTINGS, type LogLevel, type SettingName } from './settings.js';

/** The whole configuration, parsed once at the edge and frozen. */
export interface CountdConfig {
  readonly queue: RedisConnection | undefined;
  readonly queueName: string;
  readonly nodes: readonly NodeSpec[] | undefined;
  readonly prefix: string;
  readonly buckets: number;
  readonly ringAlgorithm: 'ketama' | 'points';
  readonly ringPoints: number;
  readonly flushIntervalMs: number;
  readonly concurrency: number;
  readonly maxBufferCounters: number;
  readonly maxBufferBytes: number;
  readonly maxScriptCounters: number;
  readonly flushParallelism: number;
  readonly markerTtlSeconds: number;
  readonly markerGraceSeconds: number;
  readonly publishUpdates: boolean;
  readonly shutdownTimeoutMs: number;
  readonly lockDurationMs: number;
  readonly maxClockSkewMs: number;
  readonly metricsHost: string;
  readonly metricsPort: number;
  readonly logLevel: LogLevel;
}

/**
 * Defaults come from the settings table's `defaultText` (what the README shows), parsed like a
 * value given by the user: one source, so the documented default is the applied one.
 */
function defaults(): Record<string, unknown> {
  const out: Record<string, unknown> = { queue: undefined, nodes: undefined };
  for (const [key, setting] of Object.entries(SETTINGS) as [
    SettingName,
    (typeof SETTINGS)[SettingName],
  ][]) {
    if (setting.defaultText.startsWith('(')) continue; // "(none: ...)"
    out[key] = setting.parse(setting.defaultText, `default of ${setting.env}`);
  }
  return out;
}

/** Names of the flags every command understands (`--queue-url`, `--nodes`, ...). */
export const CONFIG_FLAGS: readonly string[] = Object.values(SETTINGS).map((s) => s.flag);

/**
 * Builds the config from environment variables, overridden by flags (`{ 'queue-url': '...' }`).
 * Unknown `COUNTD_*` variables are rejected too: a typo must not silently fall back to a default.
 */
export function parseConfig(
  env: Readonly<Record<string, string | undefined>>,
  flags: Readonly<Record<string, string | undefined>> = {},
): CountdConfig {
  const known = new Set<string>(Object.values(SETTINGS).map((s) => s.env));
  const extra = [
    'COUNTD_TEST_REDIS',
    'COUNTD_TEST_REDIS_IMAGE',
    'COUNTD_REDIS_SERVER',
    'COUNTD_DATA_DIR',
  ];
  for (const name of Object.keys(env)) {
    if (name.startsWith('COUNTD_') && !known.has(name) && !extra.includes(name)) {
      throw new ConfigError(name, 'unknown setting (see the README for the COUNTD_* variables)');
    }
  }
  const out = defaults();
  const sources = new Map<SettingName, string>();
  for (const [key, setting] of Object.entries(SETTINGS) as [
    SettingName,
    (typeof SETTINGS)[SettingName],
  ][]) {
    const fromFlag = flags[setting.flag];
    const fromEnv = env[setting.env];
    const [raw, source] =
      fromFlag !== undefined
        ? [fromFlag, `--${setting.flag}`]
        : fromEnv !== undefined && fromEnv !== ''
          ? [fromEnv, setting.env]
          : [undefined, ''];
    if (raw === undefined) continue;
    out[key === 'queueUrl' ? 'queue' : key] = setting.parse(raw, source);
    sources.set(key, source);
  }
  const skewSource = sources.get('maxClockSkewMs');
  const skew = clockSkewMargin(
    skewSource === undefined ? undefined : (out.maxClockSkewMs as number),
    out.maxClockSkewMs as number,
    out.lockDurationMs as number,
  );
  if (typeof skew !== 'number') {
    const lock = sources.get('lockDurationMs') ?? SETTINGS.lockDurationMs.env;
    throw new ConfigError(skewSource!, `${skew.problem}, ${lock}`);
  }
  out.maxClockSkewMs = skew;
  return Object.freeze(out) as unknown as CountdConfig;
}

/** The queue connection, or a ConfigError that says how to provide it. */
export function requireQueue(config: CountdConfig): RedisConnection {
  if (config.queue === undefined) {
    throw new ConfigError(
      SETTINGS.queueUrl.env,
      'not set (expected redis://host:port, or use --queue-url)',
    );
  }
  return config.queue;
}

/** The storage nodes, or a ConfigError that says how to provide them. */
export function requireNodes(config: CountdConfig): readonly NodeSpec[] {
  if (config.nodes === undefined) {
    throw new ConfigError(
      SETTINGS.nodes.env,
      'not set (expected id[:weight]=url,..., or use --nodes)',
    );
  }
  return config.nodes;
}
