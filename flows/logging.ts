// Node-RED's log messages through our structured logger, at our level.
import type { Logger, LogLevel } from '../log/index.ts';

/** Node-RED's numeric levels. */
const RED_LEVELS: Record<number, 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'> = { 10: 'fatal', 20: 'error', 30: 'warn', 40: 'info', 50: 'debug', 60: 'trace' };

/** Our level name as Node-RED's (`silent` is `off`). */
export function redLevel(level: LogLevel): string {
  return level === 'silent' ? 'off' : level;
}

export interface RedLogMessage {
  level: number;
  msg?: unknown;
  type?: string;
  id?: string;
  name?: string;
  z?: string;
}

function text(msg: unknown): string {
  if (msg instanceof Error) return msg.message;
  if (typeof msg === 'string') return msg.trim();
  try {
    return JSON.stringify(msg);
  } catch {
    return String(msg);
  }
}

/** Start-up notices Node-RED gives as warnings that say nothing about our setup. */
const ROUTINE = [/^Projects disabled/, /^Encrypted credentials not found/];

/** A Node-RED log handler writing to `logger` (metrics and audit events are dropped). */
export function redLogHandler(logger: Logger): (msg: RedLogMessage) => void {
  return (m) => {
    let level = RED_LEVELS[m.level];
    if (!level) return;
    const message = text(m.msg);
    if (!message || /^=+$/.test(message)) return;
    if (level === 'warn' && ROUTINE.some((re) => re.test(message))) level = 'debug';
    const shown = /Your flow credentials file is encrypted using a system-generated key/.test(message)
      ? 'flow credentials are encrypted with a key Node-RED generated and keeps in its user directory (.config.runtime.json); set PARKING_RED_CREDENTIAL_SECRET to choose the key'
      : message.replace(/\s*\n\s*/g, ' ');
    const fields: Record<string, unknown> = {};
    if (m.type) fields.node = m.type;
    if (m.id) fields.nodeId = m.id;
    if (m.name) fields.nodeName = m.name;
    if (m.msg instanceof Error) fields.err = m.msg;
    logger[level](fields, shown);
  };
}

/** The `logging` entry of Node-RED's settings: quiet console, everything through `logger`. */
export function redLogging(logger: Logger, level: LogLevel): Record<string, unknown> {
  const redLevelName = redLevel(level);
  return {
    console: { level: 'off', metrics: false, audit: false },
    parking: { level: redLevelName, metrics: false, audit: false, handler: () => redLogHandler(logger) },
  };
}
