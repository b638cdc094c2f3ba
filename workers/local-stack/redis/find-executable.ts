import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/**
 * Resolves `command` like a shell would: a name containing `/` is a path (relative to the
 * cwd), a bare name is looked up in each directory of `searchPath`. Returns the absolute
 * path of an executable regular file, or undefined.
 */
export function findExecutable(command: string, searchPath: string): string | undefined {
  if (command.includes('/')) {
    const candidate = resolve(command);
    return isExecutableFile(candidate) ? candidate : undefined;
  }
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '') continue;
    const candidate = resolve(join(dir, command));
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
