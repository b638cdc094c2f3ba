export { CounterWorker, type CounterWorkerEvents, type RingSwitch } from './counter-worker.js';
export {
  WORKER_DEFAULTS,
  resolveWorkerOptions,
  type CounterWorkerOptions,
  type FleetIdentity,
} from './worker-options.js';
export { classifyFlushError } from './classify-flush-error.js';
export { acceptNode, type AcceptedNode } from './node-identities.js';
