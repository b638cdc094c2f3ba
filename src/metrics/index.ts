export {
  WorkerMetrics,
  NODE_ROLES,
  type NodeReplicationState,
  type NodeRole,
  type WorkerStateSource,
} from './worker-metrics.js';
export { ProducerMetrics } from './producer-metrics.js';
export {
  GatewayMetrics,
  GATEWAY_ROUTES,
  STATSD_OUTCOMES,
  type GatewayRoute,
  type StatsdLineOutcome,
} from './gateway-metrics.js';
