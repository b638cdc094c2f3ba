export { CounterReader, type CounterPage, type ListOptions } from './counter-reader.js';
export {
  READER_DEFAULTS,
  type CounterReaderInput,
  type CounterReaderOptions,
  type FleetLink,
  type ReaderNode,
} from './reader-options.js';
export { MAX_SERIES_BUCKETS, type SeriesOptions, type SeriesStep } from './series-request.js';
export type { Series } from './series-reader.js';
export { INT64_MAX, INT64_MIN, type CounterValue, type ValueMode } from './counter-value.js';
export { CounterWatch, type CounterWatchEvents, type WatchCallback } from './counter-watch.js';
export { compileGlob, matchGlob, type GlobMatcher } from './glob.js';
export { parseUpdateMessage, type ParsedUpdates, type UpdateProblem } from './update-message.js';
export {
  CorruptCounterValueError,
  InvalidCounterValueError,
  InvalidCursorError,
  MalformedUpdateError,
  RingStateUnavailableError,
  RingUnsettledError,
  UnsafeCounterValueError,
} from './errors/index.js';
