import { incrementEntryProblem, type IncrementEntry } from './increment-entry.js';
import { topLevelKeys } from './json-object-keys.js';

/** How a body is written, from its Content-Type. */
export type BodyFormat = 'json' | 'ndjson';

/** A body's increments, every entry valid. */
export interface ParsedBody {
  readonly ok: true;
  readonly entries: readonly IncrementEntry[];
}

/** Why a body is refused: `index` names the first bad entry when one is to blame. */
export interface BodyProblem {
  readonly ok: false;
  readonly error: string;
  readonly index?: number;
}

const strict = new TextDecoder('utf-8', { fatal: true });

/**
 * The format a Content-Type names (`application/json`, `application/x-ndjson` or
 * `application/ndjson`, optionally `; charset=utf-8`), or `undefined` for any other. A missing
 * Content-Type is taken as JSON.
 */
export function bodyFormat(contentType: string | undefined): BodyFormat | undefined {
  if (contentType === undefined) return 'json';
  const [type = '', ...params] = contentType.split(';').map((part) => part.trim().toLowerCase());
  for (const param of params) if (param !== '' && param !== 'charset=utf-8') return undefined;
  if (type === 'application/json') return 'json';
  if (type === 'application/x-ndjson' || type === 'application/ndjson') return 'ndjson';
  return undefined;
}

/**
 * Parses a `POST /v1/increments` body: JSON `[["name", delta, at?], …]` or `{"name": delta, …}`,
 * or NDJSON with one `["name", delta, at?]` per line (blank lines skipped). All or nothing: the
 * first invalid entry refuses the whole body, naming its index (0-based, in the order written;
 * NDJSON: among the non-blank lines). Bytes that are not UTF-8 are refused, never replaced.
 * Never throws.
 */
export function parseIncrementsBody(
  body: Uint8Array,
  format: BodyFormat,
): ParsedBody | BodyProblem {
  let text: string;
  try {
    text = strict.decode(body);
  } catch {
    return { ok: false, error: 'body is not valid UTF-8' };
  }
  return format === 'json' ? parseJson(text) : parseNdjson(text);
}

function parseJson(text: string): ParsedBody | BodyProblem {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `body is not JSON: ${(err as Error).message}` };
  }
  if (Array.isArray(value)) return checkEntries(value);
  if (typeof value === 'object' && value !== null) {
    const keys = topLevelKeys(text);
    const seen = new Set<string>();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (seen.has(key))
        return { ok: false, index: i, error: `counter ${JSON.stringify(key)} appears twice` };
      seen.add(key);
    }
    return checkEntries(Object.entries(value));
  }
  return {
    ok: false,
    error: 'body must be a JSON array of ["name", delta] or an object {"name": delta}',
  };
}

function parseNdjson(text: string): ParsedBody | BodyProblem {
  const entries: unknown[] = [];
  const lines = text.split('\n');
  for (let line = 0; line < lines.length; line++) {
    const raw = lines[line]!;
    if (raw.trim() === '') continue;
    try {
      entries.push(JSON.parse(raw));
    } catch (err) {
      return {
        ok: false,
        index: entries.length,
        error: `line ${line + 1} is not JSON: ${(err as Error).message}`,
      };
    }
  }
  return checkEntries(entries);
}

function checkEntries(entries: readonly unknown[]): ParsedBody | BodyProblem {
  for (let i = 0; i < entries.length; i++) {
    const problem = incrementEntryProblem(entries[i]);
    if (problem !== undefined) return { ok: false, index: i, error: `entry ${i}: ${problem}` };
  }
  return { ok: true, entries: entries as IncrementEntry[] };
}
