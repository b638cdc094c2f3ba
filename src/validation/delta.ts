/** Returns why `delta` is not a valid increment, or `undefined`. Deltas are safe integers. */
export function deltaProblem(delta: unknown): string | undefined {
  if (typeof delta !== 'number')
    return `must be a number, got ${delta === null ? 'null' : typeof delta}`;
  if (!Number.isInteger(delta)) return `${String(delta)} is not an integer`;
  if (!Number.isSafeInteger(delta)) return `${delta} is outside the safe integer range (±2^53-1)`;
  return undefined;
}
