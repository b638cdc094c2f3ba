import { CountdError } from './countd-error.js';

/** A configuration value (env var, flag or option) is invalid. */
export class ConfigError extends CountdError {
  /** The env var, flag or option name that was wrong, e.g. `COUNTD_NODES`. */
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(`${setting}: ${message}`);
    this.setting = setting;
  }
}
