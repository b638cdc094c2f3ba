export { closeConnection } from './close-connection.js';
export { parseReplicationInfo, type ReplicationInfo } from './replication-info.js';
export { assertSentinelsAnswer, sentinelProblem } from './sentinel-check.js';
