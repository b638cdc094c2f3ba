import { ConfigError } from '../errors/index.js';
import { clockSkewMargin } from './clock-skew.js';
import type { NodeSpec } from './node-spec.js';
import type { RedisConnection } from './redis-url.js';
import { SETTING_DEFAULTS } from './setting-defaults.js';
import {
  OTHER_VARIABLES,
  SETTINGS,
  TEST_VARIABLES,
  type DefaultedSetting,
  type SettingName,
  type SettingValue,
} from './settings.js';

/**
 * The whole configuration, parsed once at the edge and frozen: one field per setting, of the
 * type its parser returns (`queueUrl` parses to `queue`); a setting without a default may be
 * undefined.
 */
export type CountdConfig = { readonly [K in DefaultedSetting]: SettingValue<K> } & {
  readonly [K in Exclude<SettingName, DefaultedSetting> as ConfigKey<K>]:
    SettingValue<K> | undefined;
};

type ConfigKey<K extends SettingName> = K extends 'queueUrl' ? 'queue' : K;

/** Names of the flags every command understands (`--queue-url`, `--nodes`, ...). */
export const CONFIG_FLAGS: readonly string[] = Object.values(SETTINGS).map((s) => s.flag);

const KNOWN_VARIABLES: ReadonlySet<string> = new Set([
  ...Object.values(SETTINGS).map((s) => s.env),
  ...OTHER_VARIABLES.map((v) => v.env),
  ...TEST_VARIABLES,
]);

/**
 * Builds the config from environment variables, overridden by flags (`{ 'queue-url': '...' }`).
 * Unknown `COUNTD_*` variables are rejected too: a typo must not silently fall back to a default.
 */
export function parseConfig(
  env: Readonly<Record<string, string | undefined>>,
  flags: Readonly<Record<string, string | undefined>> = {},
): CountdConfig {
  for (const name of Object.keys(env)) {
    if (name.startsWith('COUNTD_') && !KNOWN_VARIABLES.has(name)) {
      throw new ConfigError(name, 'unknown setting (see the README for the COUNTD_* variables)');
    }
  }
  const out: Record<string, unknown> = { queue: undefined, nodes: undefined, ...SETTING_DEFAULTS };
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
