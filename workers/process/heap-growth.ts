import { setFlagsFromString } from 'node:v8';

/** How far V8 lets the old generation grow past what the last full GC left live, in percent. */
export const WORKER_HEAP_GROWING_PERCENT = 50;

const FLAG = '--heap-growing-percent';

/**
 * Caps V8's heap growth in a worker process, unless the node flags already set it.
 *
 * A worker's live heap is small (the buffer, ~55–85 MB under a backlog), but every flush turns a
 * buffer's worth of promoted strings and Map entries into old-generation garbage. V8 then lets
 * the heap grow to about four times the live size before its next full GC: 333 MB of RSS under a
 * backlog with a live heap of 85 MB. Growth capped at 1.5 times brought it to 279 MB at the same
 * drain rate (docs/performance.md, "Worker memory"). V8 reads the factor at every full GC, so
 * setting it after start-up takes effect.
 */
export function limitHeapGrowth(execArgv: readonly string[], nodeOptions = ''): boolean {
  // V8 takes `_` and `-` alike in flag names.
  const named = (arg: string) => arg.replaceAll('_', '-').split('=')[0] === FLAG;
  if ([...execArgv, ...nodeOptions.split(/\s+/)].some(named)) return false;
  setFlagsFromString(`${FLAG}=${WORKER_HEAP_GROWING_PERCENT}`);
  return true;
}
