import { open, readFile, rename, rm } from 'node:fs/promises';

/**
 * Writes `{ "name": total, ... }` (one counter a line) to `path`, streaming so that millions of
 * counters never form one giant string, through a temporary file renamed at the end: a reader
 * never sees half a file, and an interrupted run leaves the previous file alone.
 */
export async function writeExpectFile(
  path: string,
  entries: Iterable<readonly [string, number]>,
): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, 'w');
  try {
    let chunk = '{';
    let first = true;
    for (const [name, total] of entries) {
      chunk += `${first ? '\n' : ',\n'}  ${JSON.stringify(name)}: ${total}`;
      first = false;
      if (chunk.length >= 1 << 20) {
        await file.write(chunk);
        chunk = '';
      }
    }
    await file.write(`${chunk}${first ? '' : '\n'}}\n`);
    await file.close();
    await rename(temporary, path);
  } catch (err) {
    await file.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw err;
  }
}

/** Reads an expect file back (tests and tools). */
export async function readExpectFile(path: string): Promise<Map<string, number>> {
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${path}: expected a JSON object of counter totals`);
  }
  const out = new Map<string, number>();
  for (const [name, total] of Object.entries(parsed)) {
    if (typeof total !== 'number' || !Number.isSafeInteger(total)) {
      throw new Error(`${path}: total of ${JSON.stringify(name)} is not a safe integer`);
    }
    out.set(name, total);
  }
  return out;
}
