/** Minimal structured logger the launchers accept; a pino logger fits. */
export type LogFn = (obj: Record<string, unknown>, msg: string) => void;

export interface ServiceLogger {
  debug?: LogFn;
  info?: LogFn;
  warn?: LogFn;
}
