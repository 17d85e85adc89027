import { redactUrls } from '../log/redact.ts';
/** Where a setting's value came from. */
export type SettingSource = 'flag' | 'env' | 'file' | 'default';

export interface SettingErrorDetails {
  /** The settings key (e.g. `httpPort`), when the error is about one setting. */
  key?: string;
  source?: SettingSource;
  /** The config file the value came from. */
  file?: string;
}

const MAX_SHOWN = 120;

/** Shows a value on one line: passwords hidden, quoted when empty or holding spaces, long ones cut. */
export function showValue(value: string): string {
  let shown = redactUrls(value);
  if (shown.length > MAX_SHOWN) shown = `${shown.slice(0, MAX_SHOWN)}…`;
  return shown === '' || /[\s"\\]|[^\x20-\x7e\u00a0-\uffff]/.test(shown) ? JSON.stringify(shown) : shown;
}

/**
 * A setting with a value the program cannot run with. `setting` is the name as the user wrote it:
 * the environment variable (`PARKING_HTTP_PORT`), the flag (`--http-port`) or the config-file key.
 */
export class SettingError extends Error {
  override readonly name = 'SettingError';
  readonly key: string | undefined;
  readonly source: SettingSource | undefined;
  readonly file: string | undefined;

  constructor(
    readonly setting: string,
    readonly value: string,
    readonly reason: string,
    details: SettingErrorDetails = {},
  ) {
    super(`bad setting ${setting}=${showValue(value)}${details.file ? ` in ${details.file}` : ''}: ${reason}`);
    this.key = details.key;
    this.source = details.source;
    this.file = details.file;
  }
}

/** Thrown by a value parser: `message` says why the value is not accepted. */
export class InvalidValue extends Error {
  override readonly name = 'InvalidValue';
}

/** Rejects a value; parsers call this with the reason. */
export function invalid(reason: string): never {
  throw new InvalidValue(reason);
}
