export { backoffDelay, type Backoff } from './backoff-delay.js';
