import { ConfigError } from '../errors/index.js';

/** Connection settings derived from a `redis://`, `rediss://` or `redis+sentinel://` URL, ready for ioredis. */
export interface RedisConnection {
  /** The URL with any password replaced by `***`: safe for logs and errors. */
  readonly display: string;
  /** The server's host; for a Sentinel URL, the first sentinel's. */
  readonly host: string;
  readonly port: number;
  /** The data server's user and password (for a Sentinel URL: the primary's and replicas'). */
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
  readonly tls: boolean;
  /** Present for `redis+sentinel://`: the primary is asked of these sentinels, and followed on failover. */
  readonly sentinel?: SentinelConnection;
}

/** The Sentinel part of a `redis+sentinel://` URL. */
export interface SentinelConnection {
  /** The master group name the sentinels monitor (`SENTINEL MONITOR <name> …`). */
  readonly masterName: string;
  readonly sentinels: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** The sentinels' own credentials, when they differ from the data servers' (none by default). */
  readonly username?: string;
  readonly password?: string;
}

export const SENTINEL_SCHEME = 'redis+sentinel:';
const DEFAULT_SENTINEL_PORT = 26379;
const SENTINEL_FORM =
  'redis+sentinel://[user:password@]host:port[+host:port...]/<master-name>[/db][?sentinelUsername=...&sentinelPassword=...]';

/**
 * Parses and validates a Redis URL. Accepts `redis://[user[:password]@]host[:port][/db]`
 * and `rediss://` (TLS). The error never repeats the password.
 */
export function parseRedisUrl(raw: string, setting: string): RedisConnection {
  const problem = credentialsProblem(raw);
  if (problem !== undefined) throw new ConfigError(setting, `${problem} in ${redactUrl(raw)}`);
  if (raw.toLowerCase().startsWith(`${SENTINEL_SCHEME}//`)) return parseSentinelUrl(raw, setting);
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
      `unsupported scheme "${url.protocol}" in ${redactUrl(raw)} (expected redis://, rediss:// or redis+sentinel://)`,
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
 * `redis+sentinel://[user:password@]h1:p1+h2:p2/<master>[/db][?sentinelUsername=…&sentinelPassword=…]`.
 * Parsed by hand: WHATWG URL reads `h1:p1+h2:p2` as one host with an invalid port. Sentinels are
 * separated by `+` because `,` separates the entries of a node list.
 */
function parseSentinelUrl(raw: string, setting: string): RedisConnection {
  const display = redactUrl(raw);
  const fail = (why: string): never => {
    throw new ConfigError(setting, `${why} in ${display} (expected ${SENTINEL_FORM})`);
  };
  const match = /^redis\+sentinel:\/\/(?:(.*)@)?([^/?#@]*)(\/[^?#]*)?(?:\?([^#]*))?$/is.exec(raw);
  if (match === null) return fail('not a Sentinel URL');
  const [, auth, hostList = '', path = '', query] = match;
  const sentinels = hostList.split('+').map((entry) => {
    const hostPort = /^(\[[0-9a-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/i.exec(entry);
    if (hostPort === null) return fail(`sentinel "${entry}" is not host[:port]`);
    const port = hostPort[2] === undefined ? DEFAULT_SENTINEL_PORT : Number(hostPort[2]);
    if (port < 1 || port > 65535) return fail(`sentinel port ${port} is out of range`);
    return Object.freeze({ host: hostPort[1]!.replace(/^\[(.*)\]$/, '$1'), port });
  });
  const [masterName = '', dbText = '', ...extra] = path.replace(/^\//, '').split('/');
  if (masterName === '') return fail('no master name');
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(masterName))
    return fail(`master name "${masterName}" must be 1-128 characters of [A-Za-z0-9_.:-]`);
  if (extra.length > 0 || (dbText !== '' && !/^\d{1,2}$/.test(dbText)))
    return fail(`database must be a number 0-99, got "${path.split('/').slice(2).join('/')}"`);
  const params = new Map<string, string>();
  for (const pair of (query ?? '').split('&').filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    if (key !== 'sentinelUsername' && key !== 'sentinelPassword')
      return fail(`unknown parameter "${key}" (only sentinelUsername and sentinelPassword)`);
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    if (/[,\s]|%(?![0-9a-f]{2})/i.test(value)) return fail(`${key} must be percent-encoded`);
    try {
      params.set(key, decodeURIComponent(value));
    } catch {
      return fail(`${key} is not UTF-8 once percent-decoded`);
    }
  }
  let username: string | undefined;
  let password: string | undefined;
  if (auth !== undefined) {
    const colon = auth.indexOf(':');
    username = decodeURIComponent(colon === -1 ? auth : auth.slice(0, colon)) || undefined;
    password = colon === -1 ? undefined : decodeURIComponent(auth.slice(colon + 1)) || undefined;
  }
  const sentinelUsername = params.get('sentinelUsername') || undefined;
  const sentinelPassword = params.get('sentinelPassword') || undefined;
  const first = sentinels[0]!;
  return Object.freeze({
    display,
    host: first.host,
    port: first.port,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    db: dbText === '' ? 0 : Number(dbText),
    tls: false,
    sentinel: Object.freeze({
      masterName,
      sentinels: Object.freeze(sentinels),
      ...(sentinelUsername === undefined ? {} : { username: sentinelUsername }),
      ...(sentinelPassword === undefined ? {} : { password: sentinelPassword }),
    }),
  });
}

/**
 * Replaces the password of every URL in a string (a URL, a node list) with `***`, even when it
 * is not a valid URL. A URL's credentials run to its last `@` before the next `scheme://`: a
 * password that should have been percent-encoded may hold `@`, `/`, `,` or spaces, and hiding
 * too much of a malformed URL is better than showing part of a password.
 */
export function redactUrl(raw: string): string {
  return raw
    .replace(URL_CREDENTIALS, (whole, scheme: string, auth: string) => {
      const colon = auth.indexOf(':');
      return colon === -1 ? whole : `${scheme}${auth.slice(0, colon)}:***@`;
    })
    .replace(SENTINEL_PASSWORD, (whole, head: string) => `${head}***`);
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
  for (const [, , written] of raw.matchAll(SENTINEL_PASSWORD)) {
    if (written === undefined || written === '') continue;
    found.add(written);
    try {
      found.add(decodeURIComponent(written));
    } catch {
      // as above
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

// A Sentinel URL's `sentinelPassword=` value: up to the next parameter, the next entry of a node
// list (`,id=scheme://`) or the end; a `,` or space inside it (not encoded) is hidden with it.
const SENTINEL_PASSWORD =
  /([?&]sentinelPassword=)([^&]*?)(?=&|,\s*[^=,\s]+=\s*[a-z][a-z0-9+.-]*:\/\/|$)/gi;

// `scheme://`, then (greedily, so up to the last `@`) anything that does not start another URL.
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)((?:(?![a-z][a-z0-9+.-]*:\/\/)[^])*)@/gi;
