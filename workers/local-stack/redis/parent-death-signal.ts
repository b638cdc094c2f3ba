import { spawnSync } from 'node:child_process';
import { findExecutable } from './find-executable.js';

let setprivPath: string | null | undefined;

/**
 * Wraps a command so that Linux sends it SIGTERM when its parent dies, if `setpriv` can.
 *
 * The `exit` hook cannot run when Node itself is SIGKILLed or crashes hard; the kernel's
 * parent-death signal still fires then, so no redis-server outlives its owner. `setpriv`
 * execs the command in place, so the child's pid stays the server's pid. SIGTERM rather
 * than SIGKILL lets Redis fsync its AOF on the way out. Elsewhere the command runs as is.
 */
export function withParentDeathSignal(
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  const setpriv = findSetpriv();
  if (setpriv === undefined) return { command, args: [...args] };
  return { command: setpriv, args: ['--pdeathsig', 'TERM', '--', command, ...args] };
}

function findSetpriv(): string | undefined {
  if (setprivPath === undefined) {
    setprivPath = null;
    if (process.platform === 'linux') {
      // util-linux before 2.33 has setpriv without --pdeathsig: try it once.
      const found = findExecutable('setpriv', process.env.PATH ?? '');
      if (found !== undefined) {
        const probe = spawnSync(found, ['--pdeathsig', 'TERM', '--', 'true'], { stdio: 'ignore' });
        if (probe.status === 0) setprivPath = found;
      }
    }
  }
  return setprivPath ?? undefined;
}
