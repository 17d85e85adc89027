// The optional JSON config file: one object whose keys are setting keys (`{"httpPort": 8080}`).
import { readFileSync } from 'node:fs';
import { SettingError } from './errors.ts';
import { SETTING_KEYS, type SettingKey } from './table.ts';

/** Where the config file's path came from: the flag or the environment variable. */
export type ConfigFileOrigin = '--config' | 'PARKING_CONFIG';

export interface ConfigFile {
  path: string;
  origin: ConfigFileOrigin;
  values: Partial<Record<SettingKey, unknown>>;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

function suggest(key: string): string {
  const lower = key.toLowerCase();
  const near = SETTING_KEYS.find((known) => known.toLowerCase() === lower || distance(known.toLowerCase(), lower) <= 2);
  return near ? `${key} (did you mean ${near}?)` : key;
}

/** Reads and checks the config file; any problem is a SettingError naming the flag or variable that named the file. */
export function readConfigFile(path: string, origin: ConfigFileOrigin): ConfigFile {
  const fail = (reason: string): never => {
    throw new SettingError(origin, path, reason, { source: origin === '--config' ? 'flag' : 'env' });
  };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot read the file (${code ?? (error as Error).message})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message.replace(/\s+/g, ' ')})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return fail('must hold one JSON object of settings, like {"httpPort": 1880}');
  const unknown = Object.keys(data).filter((key) => !(SETTING_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) fail(`unknown ${unknown.length === 1 ? 'setting' : 'settings'} ${unknown.map(suggest).join(', ')}`);
  return { path, origin, values: data as Partial<Record<SettingKey, unknown>> };
}
