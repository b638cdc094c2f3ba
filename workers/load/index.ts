export {
  LoadGenerator,
  type IncrementSink,
  type LoadGeneratorOptions,
  type LoadProgress,
  type LoadResult,
} from './load-generator.js';
export { ConfirmedTotals } from './confirmed-totals.js';
export { CounterNames, LoadStream, drawDelta } from './load-stream.js';
export { Prng } from './prng.js';
export { TokenBucket } from './token-bucket.js';
export { MAX_ZIPF_COUNTERS, ZipfSampler } from './zipf.js';
export { readExpectFile, writeExpectFile } from './expect-file.js';
export { startProgress, formatProgress, type ProgressDisplay } from './progress.js';
