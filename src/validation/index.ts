export { counterNameProblem, assertCounterName, MAX_NAME_BYTES } from './counter-name.js';
export { deltaProblem } from './delta.js';
export { keyPrefixProblem, assertKeyPrefix, MAX_KEY_PREFIX_LENGTH } from './key-prefix.js';
export { queueNameProblem, assertQueueName, MAX_QUEUE_NAME_LENGTH } from './queue-name.js';
