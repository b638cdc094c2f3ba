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
  const problem = credentialsProblem(raw);
  if (problem !== undefined) throw new ConfigError(setting, `${problem} in ${redactUrl(raw)}`);
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
  // Safe: credentialsProblem has checked every escape (WHATWG only adds valid ones).
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

/**
 * The passwords of every URL in a string (a URL, a node list, an argument), as written and
 * percent-decoded, even when the URL is malformed: what output must never show.
 */
export function urlPasswords(raw: string): string[] {
  const found = new Set<string>();
  for (const [, , auth] of raw.matchAll(URL_CREDENTIALS)) {
    const colon = auth!.indexOf(':');
    const written = colon === -1 ? '' : auth!.slice(colon + 1);
    if (written === '') continue;
    found.add(written);
    try {
      found.add(decodeURIComponent(written));
    } catch {
      // not valid percent-encoding: the written form is all there is
    }
  }
  return [...found];
}

/**
 * Why the credentials of `raw` cannot be read as the user meant them, or undefined. A
 * character that ends the authority (`/ ? #`), separates node list entries (`,`) or spaces
 * would make the URL parser split the password and show a part of it as host, port or path;
 * a `%` that starts no escape cannot be decoded. The reason never quotes the credentials.
 */
function credentialsProblem(raw: string): string | undefined {
  const auth = /^[a-z][a-z0-9+.-]*:\/\/(.*)@/is.exec(raw)?.[1];
  if (auth === undefined) return undefined;
  const colon = auth.indexOf(':');
  const parts: Array<[string, string]> =
    colon === -1
      ? [['username', auth]]
      : [
          ['username', auth.slice(0, colon)],
          ['password', auth.slice(colon + 1)],
        ];
  for (const [what, text] of parts) {
    const bad = /[,/?#\s]/.exec(text)?.[0];
    if (bad !== undefined)
      return `the ${what} must be percent-encoded (it holds ${/\s/.test(bad) ? 'white space' : `'${bad}'`})`;
    if (/%(?![0-9a-f]{2})/i.test(text))
      return `the ${what} must be percent-encoded (it holds a '%' that starts no %XX escape: write % as %25)`;
    try {
      decodeURIComponent(text);
    } catch {
      return `the ${what} is not UTF-8 once percent-decoded`;
    }
  }
  return undefined;
}

// `scheme://`, then (greedily, so up to the last `@`) anything that does not start another URL.
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)((?:(?![a-z][a-z0-9+.-]*:\/\/)[^])*)@/gi;
