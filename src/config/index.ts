export {
  parseConfig,
  requireQueue,
  requireNodes,
  CONFIG_FLAGS,
  type CountdConfig,
} from './countd-config.js';
export {
  SETTINGS,
  OTHER_VARIABLES,
  TEST_VARIABLES,
  type Setting,
  type SettingName,
  type SettingValue,
  type DefaultedSetting,
  type OtherVariable,
  type LogLevel,
} from './settings.js';
export { settingsTable } from './settings-table.js';
export { SETTING_DEFAULTS, pickSettings, type SettingDefaults } from './setting-defaults.js';
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
