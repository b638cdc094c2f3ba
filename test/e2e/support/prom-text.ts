/**
 * Sums the samples of one metric in Prometheus text format, over every label set or only
 * those whose labels include `labels`. Returns 0 when the metric is absent.
 */
export function metricSum(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const wanted = Object.entries(labels).every(([key, value]) =>
      rest.includes(`${key}="${value}"`),
    );
    if (!wanted) continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
