export { Producer, type ProducerEvents } from './producer.js';
export {
  PRODUCER_DEFAULTS,
  resolveProducerOptions,
  type ProducerOptions,
} from './producer-options.js';
export {
  addDurably,
  queueUnavailable,
  withTimeout,
  type DurableAddOptions,
  type DurableJob,
} from './durable-add.js';
