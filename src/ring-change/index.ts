export {
  hashRingOf,
  layoutOf,
  parseRingRecord,
  ringRecord,
  type RegisteredNode,
  type RingRecord,
  type RingRecordInput,
} from './ring-record.js';
export {
  RING_CHANGE_PHASES,
  changeSplitsCounters,
  parseChangeRecord,
  readRingEpoch,
  readRingState,
  type RingChangeKind,
  type RingChangePhase,
  type RingChangeRecord,
  type RingState,
} from './ring-state.js';
export { ChangePlacement, type SplitLocation } from './change-placement.js';
export { proposeRing, type RingChangeRequest } from './propose-ring.js';
export { planChange, type ChangePlan } from './change-plan.js';
export {
  RingChangeRunner,
  type RingChangeProgress,
  type RingChangeRunnerEvents,
} from './ring-change-runner.js';
export { RING_CHANGE_DEFAULTS, type RingChangeRunnerOptions } from './ring-change-options.js';
export { type RingChangeStep } from './ring-change-step.js';
export { fencedIdentity } from './node-fence.js';
export { WORKER_ENTRY_STALE_MS } from './worker-census.js';
