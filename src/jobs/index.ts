export {
  parseJobPayload,
  incrementCount,
  PAYLOAD_VERSION,
  MAX_JOB_PAIRS,
  MAX_BATCH_ID_LENGTH,
  JOB_NAME,
  type JobPayload,
} from './job-payload.js';
export { jobInstance, type JobIdentity } from './job-instance.js';
export { retryPayload } from './retry-payload.js';
