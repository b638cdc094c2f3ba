export {
  parseStatsdLine,
  type StatsdLine,
  type StatsdIncrement,
  type StatsdRefusal,
  type StatsdOutcome,
} from './statsd-line.js';
export { decodeLines, type DecodedLines } from './statsd-lines.js';
export { LineSplitter, type SplitLines } from './line-splitter.js';
export { eventTimeProblem, EVENT_TIME_UNSUPPORTED } from './event-time.js';
export { incrementEntryProblem, type IncrementEntry } from './increment-entry.js';
export {
  parseIncrementsBody,
  bodyFormat,
  type BodyFormat,
  type ParsedBody,
  type BodyProblem,
} from './increments-body.js';
export { topLevelKeys } from './json-object-keys.js';
export { requestBatch, type RequestBatch } from './request-batch.js';
export {
  idempotencyKeyProblem,
  idempotentJob,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  type IdempotentJob,
} from './idempotency-key.js';
export { BearerToken } from './bearer-token.js';
export { parseCounterQuery, MAX_QUERY_NAMES, type CounterQuery } from './counter-query.js';
