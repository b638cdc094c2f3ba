import { CONFIG_FLAGS, parseConfig, type CountdConfig } from '../../src/config/index.js';
import { parseCommandArgs, refusePositionals, type ParsedArgs } from './args.js';

/** parseArgs options for every config flag (`--queue-url`, `--nodes`, ...). */
export const CONFIG_FLAG_OPTIONS = Object.fromEntries(
  CONFIG_FLAGS.map((flag) => [flag, { type: 'string' as const }]),
);

/** The config flags given on the command line, for parseConfig. */
export function configFlagValues(parsed: ParsedArgs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const flag of CONFIG_FLAGS) {
    const value = parsed.values[flag];
    if (typeof value === 'string') out[flag] = value;
  }
  return out;
}

/** Help text lines for the config flags. */
export const CONFIG_FLAGS_HELP = `Configuration flags (each overrides its COUNTD_* variable; see the README):
  ${CONFIG_FLAGS.map((f) => `--${f}`).join(' ')}`;

/** The configuration of a command that takes config flags and nothing else (`countd worker`). */
export function configFromFlagsOnly(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CountdConfig {
  const parsed = parseCommandArgs(command, args, CONFIG_FLAG_OPTIONS);
  refusePositionals(command, parsed);
  return parseConfig(env, configFlagValues(parsed));
}
