export {
  parseJobPayload,
  incrementCount,
  pairMinute,
  PAYLOAD_VERSION,
  PAYLOAD_VERSION_2,
  PAYLOAD_VERSIONS,
  MAX_JOB_PAIRS,
  MAX_BATCH_ID_LENGTH,
  JOB_NAME,
  type JobPair,
  type JobPayload,
  type PayloadVersion,
} from './job-payload.js';
export {
  encodeJobPayload,
  pairsWithMinutes,
  type JobData,
  type JobDataV1,
  type JobDataV2,
} from './job-data.js';
export { jobInstance, type JobIdentity } from './job-instance.js';
export { retryPayload } from './retry-payload.js';
