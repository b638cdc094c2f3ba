import type { UnappliedIncrement } from './held-job.js';

/** Increments named in a failure reason at most; the job's data (`r`) holds them all. */
const LISTED = 20;

/**
 * The failure reason of a job whose node refused some increments: exactly those increments
 * (name, delta, node, error), the others being applied. Starts with "counters refused" as the
 * reasons of countd 0.1 did, so tools tell these failures from malformed payloads.
 */
export function unappliedReason(unapplied: readonly UnappliedIncrement[]): string {
  const listed = unapplied
    .slice(0, LISTED)
    .map((u) =>
      u.name === '?'
        ? `on node ${u.node}: ${u.error}`
        : `${u.name} ${u.delta >= 0 ? '+' : ''}${u.delta} on node ${u.node}: ${u.error}`,
    );
  const more = unapplied.length > LISTED ? `; and ${unapplied.length - LISTED} more` : '';
  return (
    `counters refused, the others were applied: ${unapplied.length} increment` +
    `${unapplied.length === 1 ? '' : 's'} not applied: ${listed.join('; ')}${more}`
  );
}
