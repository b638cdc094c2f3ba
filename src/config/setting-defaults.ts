import {
  SETTINGS,
  type DefaultedSetting,
  type SettingName,
  type SettingValue,
} from './settings.js';

/** The parsed default of every setting that has one. */
export type SettingDefaults = { readonly [K in DefaultedSetting]: SettingValue<K> };

/**
 * Each setting's `default` parsed once, like a value the user gave: the library's defaults
 * (`WORKER_DEFAULTS`, `PRODUCER_DEFAULTS`, `READER_DEFAULTS`) and parseConfig's come from here,
 * so the documented default is the applied one everywhere.
 */
export const SETTING_DEFAULTS: SettingDefaults = Object.freeze(
  Object.fromEntries(
    (Object.entries(SETTINGS) as Array<[SettingName, (typeof SETTINGS)[SettingName]]>).flatMap(
      ([key, setting]) =>
        'default' in setting
          ? [[key, setting.parse(setting.default, `default of ${setting.env}`)]]
          : [],
    ),
  ),
) as SettingDefaults;

/** The named fields of `values`, for options that take a subset of the settings. */
export function pickSettings<T extends object, K extends keyof T>(
  values: T,
  keys: readonly K[],
): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, values[key]])) as Pick<T, K>;
}
