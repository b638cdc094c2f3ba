import { SETTINGS, parseConfig } from '../../../src/config/index.js';
import { ringFromConfig } from '../../../src/config/ring-from-config.js';
import type { HashRing } from '../../../src/ring/index.js';
import { stringFlag, type ParsedArgs } from '../args.js';
import type { CommandIo } from '../command.js';
import { CONFIG_FLAG_OPTIONS, configFlagValues } from '../config-flags.js';
import { UsageError } from '../usage-error.js';

/** Flags of `ring locate` and `ring stats`: the config flags and the earlier ring flag names. */
export const RING_FLAGS = {
  ...CONFIG_FLAG_OPTIONS,
  // Earlier names of --ring-algorithm and --ring-points.
  algorithm: { type: 'string' },
  points: { type: 'string' },
} as const;

/** The ring the config describes, as every worker builds it. */
export function ringFromArgs(parsed: ParsedArgs, env: CommandIo['env']): HashRing {
  const config = parseConfig(env, withEarlierFlagNames(parsed, env));
  if (config.nodes === undefined) {
    throw new UsageError('countd ring: give the node list with --nodes SPEC or COUNTD_NODES');
  }
  return ringFromConfig(config).ring;
}

/**
 * `--algorithm` and `--points` as `--ring-algorithm` and `--ring-points`, validated under the
 * name the user typed. `--points` alone meant the points algorithm; with ketama it is refused.
 */
function withEarlierFlagNames(parsed: ParsedArgs, env: CommandIo['env']): Record<string, string> {
  const flags = configFlagValues(parsed);
  const algorithm = stringFlag(parsed, 'algorithm');
  if (algorithm !== undefined) {
    flags['ring-algorithm'] ??= SETTINGS.ringAlgorithm.parse(algorithm, '--algorithm');
  }
  const points = stringFlag(parsed, 'points');
  if (points !== undefined) {
    flags['ring-points'] ??= String(SETTINGS.ringPoints.parse(points, '--points'));
    const chosen = flags['ring-algorithm'] ?? nonEmpty(env[SETTINGS.ringAlgorithm.env]);
    if (chosen === 'ketama') {
      throw new UsageError(
        '--points: applies to --algorithm points only (ketama has 160 per share)',
      );
    }
    flags['ring-algorithm'] ??= 'points';
  }
  return flags;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
