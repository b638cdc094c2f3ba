export { UnsafeCounterValueError } from './unsafe-counter-value-error.js';
export { InvalidCounterValueError } from './invalid-counter-value-error.js';
export { CorruptCounterValueError } from './corrupt-counter-value-error.js';
export { MalformedUpdateError } from './malformed-update-error.js';
export { InvalidCursorError } from './invalid-cursor-error.js';
export { RingUnsettledError } from './ring-unsettled-error.js';
export { RingStateUnavailableError } from './ring-state-unavailable-error.js';
