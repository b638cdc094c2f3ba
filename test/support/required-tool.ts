import { spawnSync } from 'node:child_process';

/** `CI` set (and not `false`): a tool a suite needs must then be there. */
export const IN_CI = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';

/** Whether `command …args` runs and exits 0 (a version probe). */
export function commandRuns(command: string, ...args: string[]): boolean {
  const probe = spawnSync(command, args, { encoding: 'utf8' });
  return probe.error === undefined && probe.status === 0;
}

/**
 * Whether a suite that needs a tool is skipped: locally, when `missing` says the tool is not
 * there, with one warning naming what is skipped and how to install it; in CI never, so the
 * suite runs and fails.
 */
export function skipWithoutTool(
  missing: string | undefined,
  skipping: string,
  install: string,
): boolean {
  if (missing === undefined || IN_CI) return false;
  console.warn(
    `${missing}: skipping ${skipping} (install it with \`${install}\`; in CI this is a failure).`,
  );
  return true;
}
