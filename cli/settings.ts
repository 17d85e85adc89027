// Generates a command's options from the settings table and loads its settings at run time.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import {
  SettingError,
  defaultText,
  flagName,
  InvalidValue,
  loadSettings,
  settingDef,
  type FlagValue,
  type Parser,
  type SettingKey,
  type Settings,
} from '../config/index.ts';
import type { CliContext } from './context.ts';
import { UsageError } from './errors.ts';

export interface SettingOptions<K extends SettingKey> {
  /** Settings the command cannot run without (a usage error when not set anywhere). */
  required?: readonly K[];
}

export type SettingsLoader<K extends SettingKey> = (ctx: CliContext) => Pick<Settings, K>;

function envText(key: SettingKey): string {
  const names = settingDef(key).env ?? [];
  return names.length ? `env ${names.join(' or ')}` : '';
}

function helpText(key: SettingKey): string {
  const def = settingDef(key);
  const negated = def.flag?.startsWith('--no-') ?? false;
  const parts = [negated ? '' : `default: ${defaultText(key)}`, envText(key)].filter(Boolean);
  return `${def.description}${parts.length ? ` (${parts.join('; ')})` : ''}`;
}

function addConfigOption(cmd: Command): void {
  if (!cmd.options.some((option) => option.long === '--config')) {
    cmd.addOption(new Option('--config <file>', 'JSON config file of settings (env PARKING_CONFIG)'));
  }
}

/**
 * Declares the settings a command uses: adds an option for each one that has a flag, `--config`,
 * and a help section for those set only by environment or config file. The returned loader,
 * called in the action, resolves them (flag, environment, config file, default).
 */
export function useSettings<K extends SettingKey>(cmd: Command, keys: readonly K[], options: SettingOptions<K> = {}): SettingsLoader<K> {
  const attributes = new Map<K, string>();
  const envOnly: K[] = [];
  for (const key of keys) {
    const def = settingDef(key);
    if (!def.flag) {
      envOnly.push(key);
      continue;
    }
    const required = options.required?.includes(key) ?? false;
    const option = new Option(def.flag, required ? `${def.description} (required)` : helpText(key));
    cmd.addOption(option);
    attributes.set(key, option.attributeName());
  }
  addConfigOption(cmd);
  if (envOnly.length) {
    const lines = envOnly.map((key) => `  ${key}: ${helpText(key)}`);
    cmd.addHelpText('after', `\nSettings from the environment or the config file:\n${lines.join('\n')}`);
  }

  return (ctx) => {
    const given = cmd.opts<Record<string, unknown>>();
    const flags: Partial<Record<K, FlagValue>> = {};
    for (const [key, attribute] of attributes) {
      const value = given[attribute];
      if (cmd.getOptionValueSource(attribute) === 'cli' && (typeof value === 'string' || typeof value === 'boolean')) flags[key] = value;
    }
    const configFile = cmd.getOptionValueSource('config') === 'cli' ? String(given.config) : undefined;
    const settings = loadSettings({ keys, flags, env: ctx.env, configFile });
    for (const key of options.required ?? []) {
      if (settings[key] === undefined) throw new UsageError(`required option '${settingDef(key).flag ?? key}' not specified`);
    }
    return settings;
  };
}

/**
 * An option argument parser for a command's own flags (not settings): a bad value is a
 * SettingError naming the flag, so it reads like every other bad setting.
 */
export function flagParser<T>(flags: string, parse: Parser<T>): (value: string) => T {
  const name = flags.split(/[ ,|]+/).find((part) => part.startsWith('--')) ?? flags;
  return (value) => {
    try {
      return parse(value.trim());
    } catch (error) {
      if (error instanceof InvalidValue) throw new SettingError(name, value, error.message, { source: 'flag' });
      throw error;
    }
  };
}

/** A command's own option with a validated value. */
export function validatedOption<T>(flags: string, description: string, parse: Parser<T>): Option {
  return new Option(flags, description).argParser(flagParser(flags, parse));
}

/** A command's own option that must be given, with a validated value. */
export function requiredOption<T>(flags: string, description: string, parse: Parser<T>): Option {
  return validatedOption(flags, `${description} (required)`, parse).makeOptionMandatory();
}


/** The retention settings as billing's policy (days). */
export function retentionOf(s: Pick<Settings, 'plateRetentionDays' | 'sessionRetentionDays' | 'gateEventRetentionDays'>): { plateDays: number; sessionDays: number; gateEventDays: number } {
  return { plateDays: s.plateRetentionDays, sessionDays: s.sessionRetentionDays, gateEventDays: s.gateEventRetentionDays };
}

/** The setting as the user wrote it: the flag when given, else the environment variable when set, else the config-file key. */
export function writtenAs(cmd: Command, ctx: CliContext, key: SettingKey): string {
  const flag = flagName(key);
  const attribute = flag?.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  if (attribute && cmd.getOptionValueSource(attribute) === 'cli') return flag!;
  return settingDef(key).env?.find((name) => ctx.env[name]?.trim()) ?? key;
}

export function readSettingFile(cmd: Command, ctx: CliContext, key: SettingKey, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SettingError(writtenAs(cmd, ctx, key), path, code === 'ENOENT' ? 'no such file' : `cannot read: ${(error as Error).message}`);
  }
}

/** The certificate and key files of `tlsCert` and `tlsKey` (for `purpose`, in errors); both or neither must be set. */
export function tlsFiles(cmd: Command, ctx: CliContext, s: Pick<Settings, 'tlsCert' | 'tlsKey'>, purpose: string): { cert: Buffer; key: Buffer } | undefined {
  if ((s.tlsCert === undefined) !== (s.tlsKey === undefined)) {
    const missing: SettingKey = s.tlsCert === undefined ? 'tlsCert' : 'tlsKey';
    throw new SettingError(settingDef(missing).env![0], '', `must be set too: ${purpose} needs both ${settingDef('tlsCert').env![0]} and ${settingDef('tlsKey').env![0]}`);
  }
  return s.tlsCert && s.tlsKey ? { cert: readSettingFile(cmd, ctx, 'tlsCert', s.tlsCert), key: readSettingFile(cmd, ctx, 'tlsKey', s.tlsKey) } : undefined;
}
