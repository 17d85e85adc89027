export { createLogger, childLogger, type Logger, type LoggerOptions } from './logger.ts';
export { formatPretty, type LineSink } from './pretty.ts';
export { LOG_LEVELS, LOG_FORMATS, type LogLevel, type LogFormat } from './levels.ts';
export { redactUrls } from './redact.ts';
