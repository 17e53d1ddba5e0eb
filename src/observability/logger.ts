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

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Fastify's per-request logger (its `childLoggerFactory`), made only when something is logged through it. Fastify
 * makes one for every request; most requests never write through it (the webhook route logs through its own logger,
 * and its http.request line is debug), and making a pino child costs more than the rest of a request's logging.
 * Options such as a route's own level need the real child at once.
 */
export function lazyChildLogger(parent: Logger, bindings: pino.Bindings, options: pino.ChildLoggerOptions): Logger {
  if (Object.keys(options).length > 0) return parent.child(bindings, options);
  return new LazyChildLogger(parent, bindings) as unknown as Logger;
}

class LazyChildLogger {
  readonly #parent: Logger;
  readonly #bindings: pino.Bindings;
  #real: Logger | null = null;

  constructor(parent: Logger, bindings: pino.Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  #child(): Logger {
    this.#real ??= this.#parent.child(this.#bindings);
    return this.#real;
  }

  #write(level: Level, args: unknown[]): void {
    if (this.#real === null && !this.#parent.isLevelEnabled(level)) return;
    (this.#child()[level] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return (this.#real ?? this.#parent).level;
  }
  set level(value: string) {
    this.#child().level = value;
  }
  isLevelEnabled(level: string): boolean {
    return (this.#real ?? this.#parent).isLevelEnabled(level);
  }
  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): Logger {
    return this.#child().child(bindings, options);
  }
  silent(): void {}
  fatal(...args: unknown[]): void {
    this.#write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#write('error', args);
  }
  warn(...args: unknown[]): void {
    this.#write('warn', args);
  }
  info(...args: unknown[]): void {
    this.#write('info', args);
  }
  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#write('trace', args);
  }
}
