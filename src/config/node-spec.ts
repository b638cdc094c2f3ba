import { ConfigError } from '../errors/index.js';
import { parseRedisUrl, redactUrl, type RedisConnection } from './redis-url.js';

/** One storage node: placement depends on `id` and `weight` only, never on the URL. */
export interface NodeSpec {
  readonly id: string;
  readonly weight: number;
  readonly url: string;
  readonly connection: RedisConnection;
}

/** Node ids: letters, digits, `_`, `.`, `-`. Ids of at most 21 bytes stay reproducible by libketama. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_.-]+$/;
export const MAX_NODE_ID_LENGTH = 64;
export const MAX_NODE_WEIGHT = 1000;

/**
 * Parses a node list `id[:weight]=url,...`, e.g. `a=redis://127.0.0.1:7001,b:2=redis://h:7002`.
 * Throws a {@link ConfigError} naming `setting` and the faulty entry.
 */
export function parseNodeList(raw: string, setting: string): readonly NodeSpec[] {
  const text = raw.trim();
  if (text === '') {
    throw new ConfigError(
      setting,
      'empty node list (expected id[:weight]=url,... e.g. a=redis://127.0.0.1:7001)',
    );
  }
  const nodes = splitEntries(text).map((entry, index) =>
    parseNodeEntry(entry.trim(), index, setting),
  );
  const seen = new Set<string>();
  for (const node of nodes) {
    if (seen.has(node.id)) throw new ConfigError(setting, `node id "${node.id}" appears twice`);
    seen.add(node.id);
  }
  return Object.freeze(nodes);
}

// What starts an entry: `id[:weight]=scheme://`.
const ENTRY_START = /^\s*[^=,\s]+=\s*[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Splits a node list at its commas, except those inside a URL's credentials: a password that
 * should have been percent-encoded may hold `,`. Cut there, a part of it would be shown as an
 * entry of its own; kept whole, the URL's parser names the problem without showing it.
 */
function splitEntries(text: string): string[] {
  const parts = text.split(',');
  const entries: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    let entry = parts[i]!;
    let next = i + 1;
    while (next < parts.length && !ENTRY_START.test(parts[next]!)) next++;
    const rest = parts.slice(i + 1, next);
    const url = entry.slice(entry.indexOf('://') + 3);
    if (entry.includes('://') && !url.includes('@') && rest.some((part) => part.includes('@'))) {
      entry = [entry, ...rest].join(',');
      i = next - 1;
    }
    entries.push(entry);
  }
  return entries;
}

function parseNodeEntry(entry: string, index: number, setting: string): NodeSpec {
  const where = `entry ${index + 1} "${redactUrl(entry)}"`;
  const eq = entry.indexOf('=');
  if (eq <= 0) throw new ConfigError(setting, `${where}: expected id[:weight]=url`);
  const head = entry.slice(0, eq);
  const url = entry.slice(eq + 1);
  const colon = head.indexOf(':');
  const id = colon === -1 ? head : head.slice(0, colon);
  const weight = colon === -1 ? 1 : parseWeight(head.slice(colon + 1), `${setting} ${where}`);
  validateNodeId(id, `${setting} ${where}`);
  return Object.freeze({ id, weight, url, connection: parseRedisUrl(url, `${setting} ${where}`) });
}

/** Throws unless `id` is a valid node id. */
export function validateNodeId(id: string, setting: string): void {
  if (!NODE_ID_PATTERN.test(id)) {
    throw new ConfigError(setting, `node id "${id}" must match [A-Za-z0-9_.-]+`);
  }
  if (id.length > MAX_NODE_ID_LENGTH) {
    throw new ConfigError(
      setting,
      `node id "${id}" is longer than ${MAX_NODE_ID_LENGTH} characters`,
    );
  }
}

/** Parses a node weight: an integer from 1 to {@link MAX_NODE_WEIGHT}. */
export function parseWeight(text: string, setting: string): number {
  if (!/^\d+$/.test(text))
    throw new ConfigError(setting, `weight "${text}" must be a positive integer`);
  const weight = Number(text);
  if (weight < 1 || weight > MAX_NODE_WEIGHT) {
    throw new ConfigError(setting, `weight ${weight} must be between 1 and ${MAX_NODE_WEIGHT}`);
  }
  return weight;
}
