// The request id every answer and log line carries: the caller's X-Request-ID when it is safe to log, else new.
import { randomUUID } from 'node:crypto';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a caller's X-Request-ID when it is short and log-safe; otherwise (absent, odd, repeated) a fresh UUID. */
export function sanitizeRequestId(header: string | string[] | undefined, newId: () => string = randomUUID): string {
  return typeof header === 'string' && REQUEST_ID_PATTERN.test(header) ? header : newId();
}
