// RFC 3339 with a zone, e.g. 2025-01-31T12:00:00Z or 2025-01-31T13:00:00.250+01:00.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;

// Date's own range: ±8.64e15 ms around 1970.
const MAX_EPOCH_MS = 8.64e15;

/**
 * Why `at` is not an event time, or `undefined` when it is one: epoch milliseconds (a safe
 * integer, 0 or more) or an RFC 3339 string with its zone. Never throws.
 */
export function eventTimeProblem(at: unknown): string | undefined {
  if (typeof at === 'number') {
    if (!Number.isSafeInteger(at) || at < 0 || at > MAX_EPOCH_MS)
      return `${String(at)} is not epoch milliseconds`;
    return undefined;
  }
  if (typeof at === 'string') {
    if (!RFC3339.test(at) || !Number.isFinite(Date.parse(at)))
      return `${JSON.stringify(at.slice(0, 40))} is not an RFC 3339 time with a zone`;
    return undefined;
  }
  return `must be epoch milliseconds or an RFC 3339 string, got ${at === null ? 'null' : typeof at}`;
}

/**
 * Why a valid `at` is refused all the same: jobs carry no event time and storage has no time
 * buckets yet (issue 14), so the increment would be counted at the time it arrives.
 */
export const EVENT_TIME_UNSUPPORTED =
  'event time is not supported yet: countd keeps no time buckets, so it would be counted when it arrives, not at "at"; send it without "at"';
