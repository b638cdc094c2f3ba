export { WorkerMetrics, type WorkerStateSource } from './worker-metrics.js';
export { ProducerMetrics } from './producer-metrics.js';
