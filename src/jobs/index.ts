export {
  parseJobPayload,
  incrementCount,
  PAYLOAD_VERSION,
  MAX_JOB_PAIRS,
  JOB_NAME,
  type JobPayload,
} from './job-payload.js';
