/** The time buckets countd can keep per counter, finest first. */
export const GRANULARITIES = ['minute', 'hour', 'day'] as const;

export type Granularity = (typeof GRANULARITIES)[number];

/** Length of one bucket of each granularity: buckets align to multiples of it since the epoch (UTC). */
export const STEP_MS: Readonly<Record<Granularity, number>> = Object.freeze({
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
});

/** True when `value` names a granularity. */
export function isGranularity(value: unknown): value is Granularity {
  return typeof value === 'string' && (GRANULARITIES as readonly string[]).includes(value);
}
