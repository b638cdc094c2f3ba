import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';

/** The page's files: shipped beside the compiled server (scripts/copy-assets.mjs), no build step. */
export const PAGE_FILES = ['index.html', 'app.js', 'style.css'] as const;

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/**
 * Every answer says: only this origin's own files run and load. Counter names are rendered as
 * text by the page; this policy is the second wall should any ever reach markup (no inline
 * script, no foreign image, no framing).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The page's files, read once at start (a few kilobytes). */
export class StaticPage {
  private readonly files: ReadonlyMap<string, { readonly type: string; readonly body: Buffer }>;

  constructor(dir: URL) {
    this.files = new Map(
      PAGE_FILES.map((file) => [
        `/${file}`,
        { type: TYPES[file.split('.').pop()!]!, body: readFileSync(new URL(file, dir)) },
      ]),
    );
  }

  /** The page dir beside this module: workers/ui/page in the sources, dist/workers/ui/page built. */
  static beside(): StaticPage {
    return new StaticPage(new URL('./page/', import.meta.url));
  }

  /** Answers `path` (`/` is index.html) and returns true, or returns false if it is not a file of the page. */
  serve(path: string, res: ServerResponse, head: boolean): boolean {
    const file = this.files.get(path === '/' ? '/index.html' : path);
    if (file === undefined) return false;
    res.writeHead(200, {
      'content-type': file.type,
      'content-length': String(file.body.length),
      // The files change with the package version; no-cache keeps an upgrade from mixing versions.
      'cache-control': 'no-cache',
      ...SECURITY_HEADERS,
    });
    res.end(head ? undefined : file.body);
    return true;
  }
}
