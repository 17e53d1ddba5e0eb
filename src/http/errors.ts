// The one error type of the HTTP edge: a string code, a status, a client-safe message and optional details. Routes
// throw these through small factories; the error handler renders them and hides every other error's internals.
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string>;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    options: { details?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

export const unauthorized = () => new HttpError(401, 'unauthorized', 'Missing or invalid webhook credentials');

export const invalidJson = (reason: string) =>
  new HttpError(400, 'invalid_json', 'Request body is not valid JSON', { details: { reason } });

export const unsupportedMediaType = (contentType: string | undefined) =>
  new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json', {
    details: { content_type: contentType ?? null },
  });

export const validationError = (field: string, reason: string, message: string) =>
  new HttpError(400, 'validation_error', message, { details: { field, reason } });

export const payloadTooLarge = () => new HttpError(413, 'payload_too_large', 'Request body exceeds 1MB limit');

export const tooManyEvents = (count: number, max: number) =>
  new HttpError(
    413,
    'payload_too_large',
    `A delivery may carry at most ${max} events; this one has ${count}. Nothing was queued`,
    { details: { field: '$', reason: 'too_many_events', max_events: max, events: count } },
  );

export const serviceUnavailable = (message: string, retryAfterSeconds: number, cause?: unknown) =>
  new HttpError(503, 'service_unavailable', message, {
    headers: { 'retry-after': String(retryAfterSeconds) },
    cause,
  });

export const forbidden = (message: string) => new HttpError(403, 'forbidden', message);
