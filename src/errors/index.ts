export { CountdError } from './countd-error.js';
export { ConfigError } from './config-error.js';
export { InvalidCounterNameError } from './invalid-counter-name-error.js';
export { InvalidDeltaError } from './invalid-delta-error.js';
export { InvalidEventTimeError } from './invalid-event-time-error.js';
export { InvalidSeriesRequestError } from './invalid-series-request-error.js';
export { MalformedJobError } from './malformed-job-error.js';
export { RingMismatchError } from './ring-mismatch-error.js';
export { QueueUnavailableError } from './queue-unavailable-error.js';
export { ProducerFullError } from './producer-full-error.js';
export { ClosedError } from './closed-error.js';
export { StorageError } from './storage-error.js';
export { ReplicasShortError } from './replicas-short-error.js';
export { NodeIdentityError, type NodeIdentityProblem } from './node-identity-error.js';
export {
  RingChangeConflictError,
  type RingChangeConflictReason,
} from './ring-change-conflict-error.js';
