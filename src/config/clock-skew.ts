/**
 * The clock skew margin in force: the one asked for, or, when none was, the documented default
 * capped at a quarter of the lock so that short test locks keep three quarters of their time
 * for the apply. Returns a reason instead when the margin asked for leaves no lease (it must
 * stay below half the lock).
 */
export function clockSkewMargin(
  asked: number | undefined,
  fallback: number,
  lockDurationMs: number,
): number | { problem: string } {
  if (asked === undefined) return Math.max(1, Math.min(fallback, Math.floor(lockDurationMs / 4)));
  if (asked * 2 >= lockDurationMs)
    return { problem: `${asked} must be less than half of the lock duration (${lockDurationMs})` };
  return asked;
}
