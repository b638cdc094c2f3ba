export {
  parseConfig,
  requireQueue,
  requireNodes,
  CONFIG_FLAGS,
  type CountdConfig,
} from './countd-config.js';
export { SETTINGS, type Setting, type SettingName, type LogLevel } from './settings.js';
export {
  parseNodeList,
  validateNodeId,
  parseWeight,
  NODE_ID_PATTERN,
  type NodeSpec,
} from './node-spec.js';
export { parseRedisUrl, redactUrl, urlPasswords, type RedisConnection } from './redis-url.js';
export { configSecrets } from './config-secrets.js';
export { toRedisOptions } from './redis-options.js';
export { clockSkewMargin } from './clock-skew.js';
