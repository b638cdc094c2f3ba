import { accessSync, constants, mkdirSync } from 'node:fs';

/**
 * Creates the data dir of `countd up` (worker logs, the stack file, local Redis data) when it
 * is missing, and checks that it can be written. Returns why it cannot be used, or undefined;
 * never throws, so that `up` refuses before it starts anything that would need stopping.
 */
export function prepareDataDir(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return `cannot use ${dir} as the data dir: ${REASONS[code] ?? code}`;
  }
}

const REASONS: Readonly<Record<string, string>> = {
  ENOTDIR: 'part of the path is a file, not a directory (ENOTDIR)',
  EEXIST: 'it exists and is not a directory (EEXIST)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'operation not permitted (EPERM)',
  EROFS: 'read-only file system (EROFS)',
  ENOSPC: 'no space left on the device (ENOSPC)',
  ENAMETOOLONG: 'the path is too long (ENAMETOOLONG)',
};
