import { ConfigError } from '../../src/errors/index.js';

/** The ConfigError `parse` throws; fails the test, naming `input`, when it throws none. */
export function configErrorOf(parse: () => unknown, input: string): ConfigError {
  try {
    parse();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`expected ${input} to be rejected`);
}
