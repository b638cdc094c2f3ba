import { counterNameProblem, deltaProblem } from '../validation/index.js';

/** StatsD metric types other than counters: refused, never turned into counters. */
const OTHER_TYPES: ReadonlySet<string> = new Set(['g', 'ms', 's', 'h', 'd']);

/** What became of one StatsD line (the outcome label of `countd_gateway_statsd_lines_total`). */
export type StatsdOutcome = 'counted' | 'sampled' | 'refused_type' | 'refused_tags' | 'malformed';

/** A counter line: the increment it stands for (`sampled` when it carried `|@rate` below 1). */
export interface StatsdIncrement {
  readonly ok: true;
  readonly name: string;
  readonly delta: number;
  readonly outcome: 'counted' | 'sampled';
}

/** A line that is not counted, with why. */
export interface StatsdRefusal {
  readonly ok: false;
  readonly outcome: Exclude<StatsdOutcome, 'counted' | 'sampled'>;
  readonly problem: string;
}

export type StatsdLine = StatsdIncrement | StatsdRefusal;

const INTEGER = /^[+-]?\d+$/;
const RATE = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses one StatsD line `name:delta|c[|@rate]` (no newline). The name ends at the **last** `:`
 * before the first `|`, since countd names often hold `:` (`page:/home:1|c` counts `page:/home`);
 * it is taken unchanged and checked by {@link counterNameProblem}. A `|@rate` sample (0 < rate ≤ 1)
 * stands for `delta / rate` increments, rounded to the nearest integer (halves away from zero).
 * Other types (`g`, `ms`, `s`, `h`, `d`) are refused, and so are DogStatsD tags (`|#k:v`): countd
 * has no labels, and folding tags into names would invent counters nobody asked for.
 * Never throws.
 */
export function parseStatsdLine(line: string): StatsdLine {
  const bar = line.indexOf('|');
  if (bar < 0) return malformed('no "|type" (expected name:delta|c)');
  const colon = bar === 0 ? -1 : line.lastIndexOf(':', bar - 1);
  if (colon < 0) return malformed('no ":" before "|" (expected name:delta|c)');
  const fields = line.slice(bar + 1).split('|');
  const type = fields[0]!;
  if (type !== 'c') {
    if (OTHER_TYPES.has(type))
      return { ok: false, outcome: 'refused_type', problem: `type "${type}" is not a counter` };
    return malformed(`unknown type ${JSON.stringify(type.slice(0, 16))}`);
  }
  let rate: number | undefined;
  for (let i = 1; i < fields.length; i++) {
    const field = fields[i]!;
    if (field.startsWith('#'))
      return { ok: false, outcome: 'refused_tags', problem: 'tags (|#...) are not supported' };
    if (!field.startsWith('@') || rate !== undefined)
      return malformed(`unexpected field ${JSON.stringify(field.slice(0, 16))}`);
    const text = field.slice(1);
    rate = RATE.test(text) ? Number(text) : NaN;
    if (!(rate > 0 && rate <= 1)) return malformed(`sample rate "${text}" is not in (0, 1]`);
  }
  const name = line.slice(0, colon);
  const nameProblem = counterNameProblem(name);
  if (nameProblem !== undefined) return malformed(`counter name ${nameProblem}`);
  const value = line.slice(colon + 1, bar);
  if (!INTEGER.test(value))
    return malformed(`delta ${JSON.stringify(value.slice(0, 24))} is not an integer`);
  const sampled = rate !== undefined && rate < 1;
  const delta = sampled ? roundHalfAway(Number(value) / rate!) : Number(value);
  const problem = deltaProblem(delta);
  if (problem !== undefined) return malformed(`delta ${problem}`);
  return { ok: true, name, delta, outcome: sampled ? 'sampled' : 'counted' };
}

// Math.round rounds -2.5 to -2: a sample of -1 at @0.4 must count what +1 at @0.4 counts, negated.
function roundHalfAway(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value)) + 0;
}

function malformed(problem: string): StatsdRefusal {
  return { ok: false, outcome: 'malformed', problem };
}
