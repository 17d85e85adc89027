// Resolves settings: command-line flags, then environment, then the config file, then defaults.
import { InvalidValue, SettingError, type SettingSource } from './errors.ts';
import { readConfigFile, type ConfigFile } from './file.ts';
import { SETTING_KEYS, flagName, settingDef, type SettingKey, type Settings } from './table.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

/** A flag's value as commander gives it: text, or true/false for a switch. */
export type FlagValue = string | boolean;

export interface LoadSettingsOptions<K extends SettingKey> {
  /** The settings the command uses; only these are returned and only these may come as flags. */
  keys: readonly K[];
  /** Flags given on the command line, by setting key (absent = not given). */
  flags?: { readonly [P in K]?: FlagValue };
  /** Default `process.env`. */
  env?: Environment;
  /** Config file path from `--config`; beats `PARKING_CONFIG` from `env`. */
  configFile?: string;
}

function envValue(key: SettingKey, env: Environment): { name: string; value: string } | undefined {
  for (const name of settingDef(key).env ?? []) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

function fileText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(',');
  return undefined;
}

function parse(key: SettingKey, text: string, setting: string, source: SettingSource, file?: string): unknown {
  try {
    return settingDef(key).parse(text);
  } catch (error) {
    if (error instanceof InvalidValue) throw new SettingError(setting, text, error.message, { key, source, file });
    throw error;
  }
}

function parseFileValue(key: SettingKey, file: ConfigFile): unknown {
  const value = file.values[key];
  const text = fileText(value);
  if (text === undefined) {
    throw new SettingError(key, JSON.stringify(value) ?? String(value), 'must be a string, number, boolean or list of strings', { key, source: 'file', file: file.path });
  }
  return parse(key, text, key, 'file', file.path);
}

/**
 * Loads the settings of one command. Every environment variable and config-file value of every
 * known setting is validated, and the flags of the command's own settings; the first bad one
 * throws a SettingError naming it.
 */
export function loadSettings<K extends SettingKey>(options: LoadSettingsOptions<K>): Pick<Settings, K> {
  const env = options.env ?? process.env;
  const configPath = options.configFile ?? env.PARKING_CONFIG?.trim();
  const file = configPath ? readConfigFile(configPath, options.configFile !== undefined ? '--config' : 'PARKING_CONFIG') : undefined;

  const fromEnv = new Map<SettingKey, unknown>();
  const fromFile = new Map<SettingKey, unknown>();
  for (const key of SETTING_KEYS) {
    const found = envValue(key, env);
    if (found) fromEnv.set(key, parse(key, found.value, found.name, 'env'));
  }
  for (const key of SETTING_KEYS) {
    // null in the file means "not set here" (the default applies).
    if (file && file.values[key] !== undefined && file.values[key] !== null) fromFile.set(key, parseFileValue(key, file));
  }

  const flags: Partial<Record<SettingKey, FlagValue>> = options.flags ?? {};
  const result: Partial<Record<SettingKey, unknown>> = {};
  for (const key of Object.keys(flags) as SettingKey[]) {
    if (!options.keys.includes(key as K)) throw new Error(`flag for setting ${key}, which the command did not declare`);
  }
  for (const key of options.keys) {
    const flag = flags[key];
    const name = flagName(key);
    if (flag !== undefined && name === undefined) throw new Error(`setting ${key} has no flag`);
    if (flag !== undefined) result[key] = parse(key, typeof flag === 'boolean' ? String(flag) : flag.trim(), name ?? key, 'flag');
    else if (fromEnv.has(key)) result[key] = fromEnv.get(key);
    else if (fromFile.has(key)) result[key] = fromFile.get(key);
    else result[key] = settingDef(key).default;
  }
  return Object.freeze(result) as Pick<Settings, K>;
}
