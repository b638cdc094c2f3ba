/**
 * The environment of a deployment whose ring and layout differ from every default (points
 * algorithm, weights, prefix, buckets): what each client built from its config must agree on.
 */
export const DEPLOYMENT_ENV = Object.freeze({
  COUNTD_QUEUE_URL: 'redis://:s3cret@queue.example:6380/2',
  COUNTD_NODES: 'a=redis://n1.example:7001,b:2=rediss://n2.example:7002',
  COUNTD_PREFIX: 'views',
  COUNTD_BUCKETS: '64',
  COUNTD_RING_ALGORITHM: 'points',
  COUNTD_RING_POINTS: '40',
});
