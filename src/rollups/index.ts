export {
  parseRollups,
  formatRollups,
  rollupOf,
  MAX_RETENTION_MS,
  type Rollup,
  type Rollups,
} from './rollup-spec.js';
export { GRANULARITIES, STEP_MS, isGranularity, type Granularity } from './granularity.js';
export { parseDuration, formatDuration } from './duration.js';
export { bucketStart, epochMinute } from './bucket-start.js';
