// Eighths of a cell: a bar ends within 1/8 of a character of its true length.
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const FULL = '█';
// A bucket that shrank is drawn in another texture, so it does not read as growth.
const NEGATIVE = '░';
const LEVELS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * One character per value, from ▁ (the lowest) to █ (the highest): the shape of a series at a
 * glance. All values equal draw a flat ▁ line. Values are bigints: what a counter holds, exactly;
 * the chart's precision (8 levels) needs no more than a Number of them.
 */
export function sparkline(values: readonly bigint[]): string {
  if (values.length === 0) return '';
  let low = values[0]!;
  let high = values[0]!;
  for (const v of values) {
    if (v < low) low = v;
    if (v > high) high = v;
  }
  const span = Number(high - low);
  if (span === 0) return LEVELS[0]!.repeat(values.length);
  return values.map((v) => LEVELS[Math.min(7, Math.floor((Number(v - low) / span) * 8))]!).join('');
}

/**
 * A horizontal bar per value, of at most `width` characters, scaled to the largest magnitude:
 * positive values in solid blocks (to an eighth of a cell), negative ones in ░. A non-zero value
 * always gets at least a sliver, so "a little" never looks like "nothing".
 */
export function bars(values: readonly bigint[], width: number): string[] {
  let most = 0n;
  for (const v of values) {
    const size = v < 0n ? -v : v;
    if (size > most) most = size;
  }
  return values.map((v) => {
    if (v === 0n || most === 0n) return '';
    const size = v < 0n ? -v : v;
    const eighths = Math.max(1, Math.round((Number(size) / Number(most)) * width * 8));
    if (v < 0n) return NEGATIVE.repeat(Math.max(1, Math.round(eighths / 8)));
    return FULL.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!;
  });
}
