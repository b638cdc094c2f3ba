import { readFileSync } from 'node:fs';

/**
 * Whether `pid` is a live process, zombies excluded: a killed server whose parent is gone
 * may linger as a zombie until init reaps it, and `kill(pid, 0)` still succeeds on those.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/** Polls until none of `pids` is alive, or `timeoutMs` passes; returns those still alive. */
export async function waitForProcessesGone(
  pids: readonly number[],
  timeoutMs = 5000,
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter(isProcessAlive);
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
