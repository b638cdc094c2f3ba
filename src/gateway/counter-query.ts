import { counterNameProblem } from '../validation/index.js';

/** Most names one `GET /v1/counters` reads. */
export const MAX_QUERY_NAMES = 1000;

/** The names of a `GET /v1/counters?name=…&name=…` query, or why it is refused. */
export type CounterQuery =
  | { readonly ok: true; readonly names: readonly string[] }
  | { readonly ok: false; readonly error: string; readonly index?: number };

/**
 * The `name` parameters of a query string (after the `?`), in order. Percent-escapes are decoded
 * strictly: bytes that are not UTF-8 are refused (URLSearchParams would turn them into U+FFFD,
 * another counter's name). Other parameters are refused, so a typo (`names=`) is not a silent
 * empty answer. Never throws.
 */
export function parseCounterQuery(search: string): CounterQuery {
  const names: string[] = [];
  for (const part of search.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (key !== 'name')
      return { ok: false, error: `unknown parameter ${JSON.stringify(key.slice(0, 40))}` };
    const index = names.length;
    let name: string;
    try {
      name = decodeURIComponent((eq < 0 ? '' : part.slice(eq + 1)).replace(/\+/g, ' '));
    } catch {
      return { ok: false, index, error: `name ${index} is not valid percent-encoded UTF-8` };
    }
    const problem = counterNameProblem(name);
    if (problem !== undefined)
      return { ok: false, index, error: `name ${index}: counter name ${problem}` };
    if (names.length === MAX_QUERY_NAMES)
      return { ok: false, index, error: `more than ${MAX_QUERY_NAMES} names in one query` };
    names.push(name);
  }
  if (names.length === 0) return { ok: false, error: 'no name given (?name=…&name=…)' };
  return { ok: true, names };
}
