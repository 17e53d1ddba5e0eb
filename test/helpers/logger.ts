// A real pino logger writing into memory, so tests can assert what was (and was not) logged.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/observability/logger.ts';

export interface CapturedLogger {
  logger: Logger;
  lines: () => string[];
}

export function captureLogger(): CapturedLogger {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  return { logger, lines: () => chunks.join('').split('\n').filter(Boolean) };
}
