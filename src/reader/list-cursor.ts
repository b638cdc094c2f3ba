import { InvalidCursorError } from './errors/index.js';
import { compileGlob } from './glob.js';

/**
 * Where a listing stands: on node `node` (index into the reader's nodes), SCAN to continue at
 * `scan` (`null` once SCAN of that node is complete), and the hashes found by SCAN but not
 * yet fully HSCANned, each with its HSCAN cursor.
 */
export interface ListState {
  readonly node: number;
  readonly scan: string | null;
  readonly pending: ReadonlyArray<readonly [key: string, hscan: string]>;
}

interface CursorJson {
  v: 1;
  /** Node id, not index: a cursor must not silently move to another node. */
  n: string;
  s: string | null;
  p: Array<[string, string]>;
}

const REDIS_CURSOR = /^\d{1,20}$/;

/** The opaque cursor string of a state. */
export function encodeCursor(state: ListState, nodeIds: readonly string[]): string {
  const json: CursorJson = {
    v: 1,
    n: nodeIds[state.node]!,
    s: state.scan,
    p: state.pending.map(([key, hscan]) => [key, hscan]),
  };
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor}, checking every part: the hashes it names must
 * match `bucketPattern`, so a forged cursor cannot make the reader HSCAN any other key.
 * `resumeAfterGone`: for a reader following the fleet's ring, whose `nodeIds` are sorted, a
 * cursor at a node a ring change removed continues at the next node (the removed node's
 * counters were moved to the others, which the listing reads).
 */
export function decodeCursor(
  cursor: string,
  nodeIds: readonly string[],
  bucketPattern: string,
  resumeAfterGone = false,
): ListState {
  const fail = (reason: string): never => {
    throw new InvalidCursorError(cursor, reason);
  };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return fail('not a cursor returned by list()');
  }
  if (typeof json !== 'object' || json === null || (json as { v?: unknown }).v !== 1) {
    return fail('not a cursor returned by list()');
  }
  const { n, s, p } = json as Partial<CursorJson>;
  const node = nodeIds.indexOf(typeof n === 'string' ? n : '');
  if (node === -1 && resumeAfterGone && typeof n === 'string' && nodeIds.length > 0) {
    const after = nodeIds.findIndex((id) => id > n);
    // Past the last node: a state advance() finds finished, so the listing ends.
    return after === -1
      ? { node: nodeIds.length - 1, scan: null, pending: [] }
      : { node: after, scan: '0', pending: [] };
  }
  if (node === -1) return fail(`node ${JSON.stringify(n)} is not one of this reader's nodes`);
  if (s !== null && (typeof s !== 'string' || !REDIS_CURSOR.test(s))) {
    return fail('bad SCAN position');
  }
  if (!Array.isArray(p)) return fail('bad pending hashes');
  const isBucket = compileGlob(bucketPattern);
  const pending = p.map((entry: unknown): [string, string] => {
    if (!Array.isArray(entry) || entry.length !== 2) return fail('bad pending hash');
    const [key, hscan] = entry as unknown[];
    if (typeof key !== 'string' || !isBucket(key)) return fail('pending key is not a counter hash');
    if (typeof hscan !== 'string' || !REDIS_CURSOR.test(hscan)) return fail('bad HSCAN position');
    return [key, hscan];
  });
  return { node, scan: s, pending };
}
