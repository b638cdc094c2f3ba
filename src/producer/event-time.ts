/** How far ahead of the producer's clock an event time may be (docs/series.md, "Event time"). */
export const MAX_EVENT_TIME_AHEAD_MS = 5 * 60_000;

// Date's own range.
const MAX_EPOCH_MS = 8.64e15;

/**
 * Epoch milliseconds of an increment's `at` (epoch ms or a Date), or why it is refused: not a
 * time, or more than {@link MAX_EVENT_TIME_AHEAD_MS} ahead of `now`. Clocks disagree by
 * seconds, not minutes: a bucket in the future would read as data that does not exist yet.
 */
export function eventTimeOf(at: unknown, now: number): number | { readonly problem: string } {
  const ms = at instanceof Date ? at.getTime() : at;
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0 || ms > MAX_EPOCH_MS)
    return {
      problem: `${at instanceof Date ? 'an invalid Date' : describe(at)} is not epoch milliseconds or a Date`,
    };
  if (ms > now + MAX_EVENT_TIME_AHEAD_MS)
    return {
      problem: `${new Date(ms).toISOString()} is ${Math.round((ms - now) / 1000)} s ahead of this clock (at most ${MAX_EVENT_TIME_AHEAD_MS / 60_000} minutes)`,
    };
  return ms;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (value === null) return 'null';
  return `${typeof value} ${String(value)}`;
}
