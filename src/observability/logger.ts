// Structured JSON logging (pino) with redaction: tokens, ticket bodies and email addresses never reach a log line.
// Call sites log identifiers and classes, never customer text; the redact paths are the safety net.
import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'token',
  'secret',
  'password',
  'authorization',
  'body',
  'content',
  'email',
  'from_email',
  'subject',
  'ticket.body',
  'ticket.subject',
  'ticket.from_email',
  'ticket.customer_name',
  'req.headers.authorization',
  'req.headers["x-webhook-token"]',
  'req.headers["cf-access-client-secret"]',
  'req.headers["x-hubspot-signature"]',
  'req.headers["x-hubspot-signature-v3"]',
  'headers.authorization',
  '*.token',
  '*.secret',
  '*.password',
  '*.authorization',
  '*.apiKey',
  '*.email',
];

export interface LoggerConfig {
  level: string;
  /** Where the JSON lines go; defaults to stdout. Tests pass a stream to assert on what was logged. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level,
    base: { service: 'hubspot-triage' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return config.destination ? pino(options, config.destination as pino.DestinationStream) : pino(options);
}
