export { loadSettings, type LoadSettingsOptions, type Environment, type FlagValue } from './load.ts';
export { readConfigFile, type ConfigFile, type ConfigFileOrigin } from './file.ts';
export { BCRYPT_HASH, SETTINGS, SETTING_KEYS, DEFAULT_MQTT_PORTS, DEFAULT_WS_PORTS, settingDef, flagName, defaultText, type SettingDef, type SettingKey, type Settings } from './table.ts';
export { SettingError, InvalidValue, invalid, showValue, type SettingSource, type SettingErrorDetails } from './errors.ts';
export * as parsers from './parsers.ts';
export type { Parser, DelayRange, PortOptions, Part } from './parsers.ts';
