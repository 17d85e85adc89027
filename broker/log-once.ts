// Logs a warning once per key (client and topic, cause and topic), so a
// misbehaving client cannot flood the log. Keys are forgotten past `limit`
// (oldest first) to bound memory; a forgotten key may then log once more.
import type { Logger } from '../log/index.ts';

export type WarnOnce = (key: string, fields: Record<string, unknown>, message: string) => void;

export function warnOnce(logger: Pick<Logger, 'warn'> | undefined, limit = 10_000): WarnOnce {
  const seen = new Set<string>();
  return (key, fields, message) => {
    if (seen.has(key)) return;
    seen.add(key);
    if (seen.size > limit) seen.delete(seen.values().next().value as string);
    logger?.warn(fields, message);
  };
}
