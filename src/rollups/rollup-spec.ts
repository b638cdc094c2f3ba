import { ConfigError } from '../errors/index.js';
import { formatDuration, parseDuration } from './duration.js';
import { GRANULARITIES, STEP_MS, isGranularity, type Granularity } from './granularity.js';

/** One kept granularity: buckets of `stepMs`, each kept `retentionMs` past its end. */
export interface Rollup {
  readonly granularity: Granularity;
  readonly stepMs: number;
  readonly retentionMs: number;
}

/** The rollups of a fleet, finest first (minute, hour, day); empty when none are kept. */
export type Rollups = readonly Rollup[];

/** Longest retention: about ten years (docs/series.md). */
export const MAX_RETENTION_MS = 3660 * STEP_MS.day;

/**
 * Parses `COUNTD_ROLLUPS`: comma-separated `<granularity>:<retention>` (`minute:48h,hour:35d`),
 * each granularity at most once, each retention at least one step and at most 3660 days. The
 * result is sorted finest first whatever the order written, so two specs that mean the same
 * compare (and fingerprint) the same. Empty text is no rollups. Throws a {@link ConfigError}
 * naming `source` (the variable, flag or option).
 */
export function parseRollups(spec: string, source: string): Rollups {
  const text = spec.trim();
  if (text === '') return Object.freeze([]);
  const seen = new Map<Granularity, Rollup>();
  for (const item of text.split(',')) {
    const entry = item.trim();
    if (entry === '')
      throw new ConfigError(source, `"${text}" has an empty entry (a comma too many)`);
    const colon = entry.indexOf(':');
    if (colon < 0)
      throw new ConfigError(
        source,
        `"${entry}" is not <granularity>:<retention> (e.g. minute:48h,hour:35d,day:400d)`,
      );
    const name = entry.slice(0, colon).trim();
    if (!isGranularity(name))
      throw new ConfigError(
        source,
        `unknown granularity "${name}" (expected ${GRANULARITIES.join(', ')})`,
      );
    if (seen.has(name)) throw new ConfigError(source, `granularity "${name}" is given twice`);
    const retention = parseDuration(entry.slice(colon + 1));
    if (typeof retention !== 'number')
      throw new ConfigError(source, `retention of ${name}: ${retention.problem}`);
    const stepMs = STEP_MS[name];
    if (retention < stepMs)
      throw new ConfigError(
        source,
        `retention of ${name} ${formatDuration(retention)} is shorter than one ${name}`,
      );
    if (retention > MAX_RETENTION_MS)
      throw new ConfigError(source, `retention of ${name} is longer than 3660 days`);
    seen.set(name, Object.freeze({ granularity: name, stepMs, retentionMs: retention }));
  }
  return Object.freeze(GRANULARITIES.flatMap((g) => (seen.has(g) ? [seen.get(g)!] : [])));
}

/**
 * The canonical spec of `rollups` (`minute:2d,hour:35d`): what the ring fingerprint and the
 * ring record hold. `parseRollups(formatRollups(r))` gives `r` back.
 */
export function formatRollups(rollups: Rollups): string {
  return rollups.map((r) => `${r.granularity}:${formatDuration(r.retentionMs)}`).join(',');
}

/** The rollup of `granularity`, or `undefined` when it is not kept. */
export function rollupOf(rollups: Rollups, granularity: string): Rollup | undefined {
  return rollups.find((r) => r.granularity === granularity);
}
