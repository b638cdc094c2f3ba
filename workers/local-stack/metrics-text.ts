/** Sums of Prometheus text-format samples by metric name (labels ignored): enough for a status line. */
export function sumSamples(text: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    sums.set(match[1]!, (sums.get(match[1]!) ?? 0) + value);
  }
  return sums;
}

/** Scrapes and sums several /metrics endpoints; unreachable ones are skipped. */
export async function scrapeAll(urls: readonly string[]): Promise<Map<string, number>> {
  const total = new Map<string, number>();
  const texts = await Promise.all(
    urls.map((url) =>
      fetch(url, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.text())
        .catch(() => ''),
    ),
  );
  for (const text of texts) {
    for (const [name, value] of sumSamples(text)) total.set(name, (total.get(name) ?? 0) + value);
  }
  return total;
}
