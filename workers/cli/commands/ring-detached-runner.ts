import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SETTINGS, type NodeSpec } from '../../../src/config/index.js';
import type { ParsedArgs } from '../args.js';
import { pacingArgs, type Pacing } from './ring-change-args.js';
import type { CommandIo } from '../command.js';
import { configFlagValues } from '../config-flags.js';
import { countdBin } from '../../local-stack/worker-processes.js';

/** The process that carries out a change begun without `--wait`. */
export interface DetachedRunner {
  readonly pid: number;
  readonly log: string;
}

/**
 * Starts `countd ring resume --wait` in its own session, its output appended to a log file, and
 * returns once it runs: the command that began the change can exit, and the change goes on
 * when the terminal closes. The child gets the settings as environment variables, never as
 * arguments (a password in argv is visible to every user of the host): the flags given here
 * become their variables, and an added node with credentials joins COUNTD_NODES, so the child
 * reaches it as this process does.
 */
export async function startDetachedRunner(
  io: CommandIo,
  parsed: ParsedArgs,
  queueName: string,
  toVersion: number,
  added: NodeSpec | undefined,
  pacing: Pacing,
): Promise<DetachedRunner> {
  const env: Record<string, string | undefined> = { ...io.env };
  const flags = configFlagValues(parsed);
  for (const setting of Object.values(SETTINGS)) {
    // `ring layout --buckets` names the new layout, not this process's setting.
    if (setting.flag === 'buckets') continue;
    const value = flags[setting.flag];
    if (value !== undefined) env[setting.env] = value;
  }
  if (added !== undefined) {
    const entry = `${added.id}:${added.weight}=${added.url}`;
    const nodes = env[SETTINGS.nodes.env];
    env[SETTINGS.nodes.env] =
      nodes === undefined || nodes.trim() === '' ? entry : `${nodes},${entry}`;
  }
  const safeQueue = queueName.replace(/[^A-Za-z0-9_.-]/g, '_');
  const log = join(tmpdir(), `countd-ring-${safeQueue}-v${toVersion}.log`);
  // Opened here, synchronously: a log that cannot be written stops this command (exit 1)
  // before any process is started.
  const fd = openSync(log, 'a', 0o600);
  try {
    const child = spawn(
      process.execPath,
      [countdBin(), 'ring', 'resume', '--wait', ...pacingArgs(pacing)],
      {
        detached: true,
        stdio: ['ignore', fd, fd],
        env,
      },
    );
    await Promise.race([
      once(child, 'spawn'),
      once(child, 'error').then(([err]) => {
        throw err as Error;
      }),
    ]);
    child.unref();
    if (child.pid === undefined) throw new Error('the ring change runner did not start');
    return { pid: child.pid, log };
  } finally {
    closeSync(fd);
  }
}
