import { CountdError } from '../../../src/errors/index.js';

/** No `redis-server` binary could be found to launch. */
export class RedisServerNotFoundError extends CountdError {
  /** The explicit binary that was asked for (e.g. `COUNTD_REDIS_SERVER`), if any. */
  readonly override: string | undefined;

  constructor(override?: string) {
    super(
      override === undefined
        ? 'redis-server not found on PATH: install it (Debian/Ubuntu: apt-get install redis-server) ' +
            'or point COUNTD_REDIS_SERVER at the binary'
        : `redis-server "${override}" (COUNTD_REDIS_SERVER) is not an executable file`,
    );
    this.override = override;
  }
}
