import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a running `countd up` tells other commands in the same directory (`.countd/stack.json`). */
export interface StackFile {
  readonly pid: number;
  readonly queueUrl: string;
  readonly nodes: string;
  readonly metrics: readonly string[];
}

export function stackFilePath(dataDir: string): string {
  return join(dataDir, 'stack.json');
}

export function writeStackFile(dataDir: string, stack: StackFile): void {
  writeFileSync(stackFilePath(dataDir), `${JSON.stringify(stack, null, 2)}\n`);
}

export function removeStackFile(dataDir: string): void {
  rmSync(stackFilePath(dataDir), { force: true });
}

/**
 * The env a command should use when none is configured and a `countd up` runs here: so that,
 * after `npm start`, `countd incr` and `countd get` in another terminal just work.
 */
export function stackEnv(dataDir: string): Record<string, string> | undefined {
  let stack: StackFile;
  try {
    stack = JSON.parse(readFileSync(stackFilePath(dataDir), 'utf8')) as StackFile;
  } catch {
    return undefined;
  }
  try {
    process.kill(stack.pid, 0);
  } catch {
    return undefined; // left by a `countd up` that is gone
  }
  return { COUNTD_QUEUE_URL: stack.queueUrl, COUNTD_NODES: stack.nodes };
}
