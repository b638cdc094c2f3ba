/**
 * One step a ring change runner finished, emitted (`step` event) before it checks its abort
 * signal: a caller that aborts from a listener stops the runner right after that step, which is
 * how the tests stop a change at every kind of step and resume it with a new runner.
 */
export type RingChangeStep =
  | { readonly kind: 'joined'; readonly node: string }
  | { readonly kind: 'fenced'; readonly node: string }
  | { readonly kind: 'snapshot'; readonly jobs: number }
  /** The move-ins (and replica waits) of one batch from `node`, before its move-out. */
  | { readonly kind: 'moved-in'; readonly node: string; readonly fields: number }
  | { readonly kind: 'moved-out'; readonly node: string; readonly fields: number }
  | { readonly kind: 'settle-poll'; readonly jobsLeft: number }
  /** `repacked`: hashes rewritten to be listpacks again (repack-hash.lua). */
  | { readonly kind: 'cleaned'; readonly node: string; readonly repacked: number };
