import { readFileSync } from 'node:fs';

/**
 * Counter names of the bench's StatsD lines: with dots, not countd's usual `page:<i>:views`,
 * because the `statsd` daemon ends a name at its first `:` (countd at the last): one set of
 * lines for both.
 */
export function statsdName(index: number): string {
  return `page.${index}.views`;
}

/** A lane's expected-totals file (Float64Array by counter index) as name → total. */
export function readTotals(
  file: string,
  counters: number,
  name: (index: number) => string,
): Map<string, number> {
  const bytes = readFileSync(file);
  const totals = new Float64Array(bytes.buffer, bytes.byteOffset, counters);
  const expected = new Map<string, number>();
  for (let i = 0; i < counters; i++) expected.set(name(i), totals[i]!);
  return expected;
}
