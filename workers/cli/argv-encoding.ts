import { readFileSync } from 'node:fs';

/**
 * The bytes of this process's last `count` arguments as the OS gave them, or undefined where
 * they cannot be read (not Linux). Node decodes argv as UTF-8 and turns bytes that are not
 * UTF-8 into U+FFFD, so the decoded strings alone cannot tell a typed U+FFFD from bad bytes.
 */
export function readRawArgv(count: number): Uint8Array[] | undefined {
  let cmdline: Buffer;
  try {
    cmdline = readFileSync('/proc/self/cmdline');
  } catch {
    return undefined;
  }
  // NUL-terminated entries: node, its flags, the script, then the arguments.
  const entries: Uint8Array[] = [];
  let start = 0;
  for (let nul = cmdline.indexOf(0); nul !== -1; nul = cmdline.indexOf(0, start)) {
    entries.push(cmdline.subarray(start, nul));
    start = nul + 1;
  }
  return entries.length < count ? undefined : entries.slice(entries.length - count);
}

/**
 * Returns why the command line cannot be taken as given, or undefined. An argument holding
 * U+FFFD is accepted only when its raw bytes are known and are that character, in UTF-8: a
 * name must never be stored with U+FFFD in place of what the user typed. Never throws.
 */
export function argvProblem(
  argv: readonly string[],
  rawArgv: readonly Uint8Array[] | undefined,
): string | undefined {
  for (const [index, arg] of argv.entries()) {
    if (!arg.includes('\uFFFD')) continue;
    const raw = rawArgv?.length === argv.length ? rawArgv[index] : undefined;
    const decoded = raw === undefined ? undefined : strictUtf8(raw);
    if (raw !== undefined && decoded === undefined) {
      return `argument ${index + 1} is not valid UTF-8: countd takes names and options as UTF-8 text`;
    }
    if (decoded !== arg) {
      return (
        `argument ${index + 1} holds U+FFFD, which stands for bytes that were not UTF-8, ` +
        'and its bytes cannot be checked here: refused rather than stored changed'
      );
    }
  }
  return undefined;
}

function strictUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
