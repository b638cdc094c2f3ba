import { findExecutable } from './find-executable.js';

/** Where {@link findRedisServer} looks. */
export interface FindRedisServerOptions {
  /**
   * An explicit binary (e.g. the value of `COUNTD_REDIS_SERVER`, read by the caller): a
   * path, or a bare name looked up on `path`. When set, it is the only candidate.
   */
  readonly override?: string | undefined;
  /**
   * The search path, `:`-separated like `PATH`.
   * @defaultValue `process.env.PATH`
   */
  readonly path?: string | undefined;
}

/**
 * Returns the absolute path of an executable `redis-server`, or undefined if there is none.
 *
 * An `override` that does not point at an executable gives undefined rather than a
 * fallback to `PATH`: whoever set it meant that binary, and silently running another
 * would hide the mistake.
 */
export function findRedisServer(options: FindRedisServerOptions = {}): string | undefined {
  const override = options.override === '' ? undefined : options.override;
  return findExecutable(override ?? 'redis-server', options.path ?? process.env.PATH ?? '');
}
