import type { ChildProcess } from 'node:child_process';

// Process-wide on purpose: the `exit` hook is per process, and whichever code started a
// redis-server, none may outlive the Node process that owns it.
const live = new Set<ChildProcess>();
let hooked = false;

/**
 * Tracks a redis-server child until it exits, and SIGKILLs it if this process exits first.
 *
 * `exit` handlers must be synchronous, so a graceful shutdown is not possible here: this
 * is the safety net for a forgotten `stop()` or a `process.exit()`, not the normal path.
 */
export function reapOnExit(child: ChildProcess): void {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}
