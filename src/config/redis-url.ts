import { ConfigError } from '../errors/index.js';

/** Connection settings derived from a `redis://` or `rediss://` URL, ready for ioredis. */
export interface RedisConnection {
  /** The URL with any password replaced by `***`: safe for logs and errors. */
  readonly display: string;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
  readonly tls: boolean;
}

/**
 * Parses and validates a Redis URL. Accepts `redis://[user[:password]@]host[:port][/db]`
 * and `rediss://` (TLS). The error never repeats the password.
 */
export function parseRedisUrl(raw: string, setting: string): RedisConnection {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      setting,
      `not a URL: ${redactUrl(raw)} (expected redis://[user:password@]host[:port][/db])`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(
      setting,
      `unsupported scheme "${url.protocol}" in ${redactUrl(raw)} (expected redis:// or rediss://)`,
    );
  }
  if (url.hostname === '') throw new ConfigError(setting, `no host in ${redactUrl(raw)}`);
  const port = url.port === '' ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,2}$/.test(dbText)) {
    throw new ConfigError(
      setting,
      `database must be a number 0-99, got "${dbText}" in ${redactUrl(raw)}`,
    );
  }
  const username = url.username === '' ? undefined : decodeURIComponent(url.username);
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  return Object.freeze({
    display: redactUrl(raw),
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    db: dbText === '' ? 0 : Number(dbText),
    tls: url.protocol === 'rediss:',
  });
}

/**
 * Replaces the password of every URL in a string (a URL, a node list) with `***`, even when it
 * is not a valid URL. A URL's credentials run to its last `@` before the next `scheme://`: a
 * password that should have been percent-encoded may hold `@`, `/`, `,` or spaces, and hiding
 * too much of a malformed URL is better than showing part of a password.
 */
export function redactUrl(raw: string): string {
  return raw.replace(URL_CREDENTIALS, (whole, scheme: string, auth: string) => {
    const colon = auth.indexOf(':');
    return colon === -1 ? whole : `${scheme}${auth.slice(0, colon)}:***@`;
  });
}

// `scheme://`, then (greedily, so up to the last `@`) anything that does not start another URL.
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)((?:(?![a-z][a-z0-9+.-]*:\/\/)[^])*)@/gi;
