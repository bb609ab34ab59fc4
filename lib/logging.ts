import pino from 'pino';

/** The logging the core needs, in the shape Powertools' Logger has, so Lambda and local mode log alike. */
export interface AppLogger {
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

/** Local mode and the CLI log JSON lines with pino. */
export function createPinoLogger(level: string): AppLogger {
  const logger = pino({ level });
  return {
    info: (message, ...extra) => logger.info(Object.assign({}, ...extra), message),
    warn: (message, ...extra) => logger.warn(Object.assign({}, ...extra), message),
    error: (message, ...extra) => logger.error(Object.assign({}, ...extra), message),
  };
}
