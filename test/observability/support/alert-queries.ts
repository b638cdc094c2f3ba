/**
 * The queries an alert condition is made of, which a healthy system returns data for.
 *
 * An alert expression is a condition: `<query> > 5` returns nothing while all is well, so
 * "returns data" can only be tested on the query being compared. Rather than keep a copy of
 * each query next to its alert (in alerts.yml annotations, say, which promtool's tests compare
 * exactly and which would drift from `expr`), the queries are derived from `expr` itself:
 *
 * - `a and b`, `a or b`, `a unless b` (with `on (...)`/`ignoring (...)`): each side;
 * - `query > 5`, `query == 0`, `query >= bool 1`: the query, the comparison with a number
 *   dropped (a comparison of two queries is kept: it is the query);
 * - `absent(query)`: the query as is, because it is what is present when healthy
 *   (`absent(up == 1)` → `up == 1`);
 * - parentheses around a whole side are removed first.
 *
 * A light scanner, not a PromQL parser: it only ever cuts at depth 0, outside strings, label
 * matchers, ranges and calls, which is all these forms need.
 */
export function underlyingQueries(expr: string): string[] {
  return splitSetOperators(expr).map((side) => {
    const query = unwrapParens(side);
    const absent = /^absent\s*\(/.exec(query);
    if (absent !== null && closingParen(query, absent[0].length - 1) === query.length - 1) {
      return query.slice(absent[0].length, -1).trim();
    }
    return unwrapParens(stripNumberComparison(query));
  });
}

const NUMBER = String.raw`[+-]?(?:\d+(?:\.\d*)?(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|0x[0-9a-f]+|inf|nan)`;
const TRAILING_COMPARISON = new RegExp(
  String.raw`^(==|!=|>=|<=|>|<)\s*(?:bool\s+)?${NUMBER}\s*$`,
  'i',
);

/** Splits at depth-0 `and`/`or`/`unless`, dropping their `on (...)`/`ignoring (...)` modifier. */
function splitSetOperators(expr: string): string[] {
  const top = topLevel(expr);
  const sides: string[] = [];
  let start = 0;
  for (const m of expr.matchAll(/\b(and|or|unless)\b/gi)) {
    const at = m.index ?? 0;
    if (!top[at]) continue;
    sides.push(expr.slice(start, at));
    start = at + m[0].length;
  }
  sides.push(expr.slice(start));
  return sides.map((side) => {
    const trimmed = side.trim();
    const modifier = /^(on|ignoring)\s*\(/i.exec(trimmed);
    if (modifier === null) return trimmed;
    return trimmed.slice(closingParen(trimmed, modifier[0].length - 1) + 1).trim();
  });
}

/** `query OP number` → `query`, for the last depth-0 comparison operator; anything else as is. */
function stripNumberComparison(expr: string): string {
  const top = topLevel(expr);
  for (let i = expr.length - 1; i > 0; i--) {
    if (!top[i] || !'=<>!'.includes(expr[i]!)) continue;
    // The operator's first character: `>=`, `<=`, `==`, `!=` are two characters long.
    const at = '=<>!'.includes(expr[i - 1]!) && top[i - 1] ? i - 1 : i;
    if (TRAILING_COMPARISON.test(expr.slice(at))) return expr.slice(0, at).trim();
    return expr;
  }
  return expr;
}

/** `((a))` → `a`; `(a) + (b)` is left alone. */
function unwrapParens(expr: string): string {
  let out = expr.trim();
  while (out.startsWith('(') && closingParen(out, 0) === out.length - 1)
    out = out.slice(1, -1).trim();
  return out;
}

/** Index of the `)` matching the `(` at `open`, or -1. */
function closingParen(expr: string, open: number): number {
  const { depth, inString } = scan(expr);
  const level = depth[open]! - 1;
  for (let i = open + 1; i < expr.length; i++) {
    if (expr[i] === ')' && !inString[i] && depth[i] === level) return i;
  }
  return -1;
}

/** For each character: true when it is outside any string and at bracket depth 0. */
function topLevel(expr: string): boolean[] {
  const { depth, inString } = scan(expr);
  return depth.map((d, i) => !inString[i] && d === 0 && (i === 0 || depth[i - 1] === 0));
}

/**
 * Bracket depth ((), [], {}) after each character, and whether it belongs to a string literal
 * (quotes included), so that nothing inside a label value counts as an operator or bracket.
 */
function scan(expr: string): { depth: number[]; inString: boolean[] } {
  const depth: number[] = [];
  const inString: boolean[] = [];
  let level = 0;
  let quote: string | undefined;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (quote !== undefined) {
      // A backslash escapes the next character, except in raw (backquoted) strings.
      const escaped = c === '\\' && quote !== '`' && i + 1 < expr.length;
      if (c === quote) quote = undefined;
      depth.push(level, ...(escaped ? [level] : []));
      inString.push(true, ...(escaped ? [true] : []));
      if (escaped) i++;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') level++;
    else if (c === ')' || c === ']' || c === '}') level--;
    depth.push(level);
    inString.push(quote !== undefined);
  }
  return { depth, inString };
}
