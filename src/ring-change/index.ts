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
