/** Milliseconds of each duration unit: `s`, `m` (minutes), `h`, `d`. */
const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION = /^(\d{1,12})([smhd])$/;

/**
 * Milliseconds of a duration written `<n>s`, `<n>m`, `<n>h` or `<n>d` (`90m`, `48h`, `400d`), or a
 * reason it is not one. Never throws: callers name the setting or flag in their own error.
 */
export function parseDuration(text: string): number | { readonly problem: string } {
  const match = DURATION.exec(text.trim());
  if (match === null)
    return { problem: `"${text}" is not a duration (expected <n>s, <n>m, <n>h or <n>d)` };
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  if (!Number.isSafeInteger(ms) || ms <= 0)
    return { problem: `"${text}" is not a positive duration` };
  return ms;
}

/** `ms` in the largest unit that writes it exactly (`172800000` → `2d`): the canonical form. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / 1000}s`;
}
