import type { CountdConfig } from '../../../src/config/index.js';
import { CounterReader } from '../../../src/reader/index.js';
import { counterNameProblem } from '../../../src/validation/index.js';
import { UsageError } from '../usage-error.js';

/** Connecting gives up after this long: an unreachable node is an error, not a hang. */
export const CLI_CONNECT_TIMEOUT_MS = 3000;
const CLI_COMMAND_TIMEOUT_MS = 5000;

/**
 * A reader for the command line: the deployment's nodes, ring and layout from the config,
 * exact values (bigint: the CLI prints whatever int64 a counter holds), bounded timeouts.
 * With a queue URL in the config it follows the fleet's registered ring, ring changes included.
 */
export function readerFromConfig(config: CountdConfig): CounterReader<'bigint'> {
  return CounterReader.fromConfig(config, {
    values: 'bigint',
    connectTimeoutMs: CLI_CONNECT_TIMEOUT_MS,
    commandTimeoutMs: CLI_COMMAND_TIMEOUT_MS,
  });
}

/** Throws a {@link UsageError} (exit 2) for the first invalid counter name. */
export function checkNames(command: string, names: readonly string[]): void {
  for (const name of names) {
    const problem = counterNameProblem(name);
    if (problem !== undefined) {
      const shown = name.length > 60 ? `${name.slice(0, 60)}…` : name;
      throw new UsageError(`countd ${command}: counter name ${JSON.stringify(shown)} ${problem}`);
    }
  }
}

/** `"name":value` for a hand-written JSON object: bigints as exact JSON numbers. */
export function jsonMember(name: string, value: bigint): string {
  return `${JSON.stringify(name)}:${value.toString()}`;
}
