// Delivery shapes (CONTRACTS §1.2) and the small readers every normaliser shares. A shape is recognised by its
// structure, never by a flag; readers turn HubSpot's loose values (strings, numbers, {value: ...} wrappers) into
// trimmed strings or nulls, or into a FieldError naming the path in the body the value came from.

export type DeliveryShape = 'spec' | 'workflow_object' | 'workflow_flat' | 'events' | 'single_event';

export type FieldErrorReason = 'required' | 'too_long' | 'invalid_type' | 'invalid_format';

export interface FieldError {
  /** Path in the delivered body, e.g. `properties.subject`, `[2].objectId`; `$` is the body itself. */
  field: string;
  reason: FieldErrorReason;
  /** Safe to return to the caller and to log: never contains the offending value. */
  message: string;
}

export type Read<T> = { ok: true; value: T } | { ok: false; error: FieldError };

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own properties only: a body key can never reach Object.prototype members. */
export function own(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/**
 * Which of the four documented shapes a parsed body is, or null when it is none (not an object or array).
 * - an array is a Webhooks API batch;
 * - an object with a `properties` key is a ticket object: the spec format when it also carries the spec's own
 *   envelope keys (`subscriptionType`, `associatedContacts`, `customProperties`), otherwise a workflow "all
 *   properties" body (the CRM object);
 * - a lone Webhooks API event (`eventId` + `subscriptionType`, no ticket text) is accepted as a batch of one;
 * - any other object is a workflow customized (flat) body.
 */
export function detectShape(json: unknown): DeliveryShape | null {
  if (Array.isArray(json)) return 'events';
  if (!isObject(json)) return null;
  const properties = own(json, 'properties');
  if (properties !== undefined && properties !== null) {
    const specKeys = ['subscriptionType', 'associatedContacts', 'customProperties'];
    return specKeys.some((key) => own(json, key) !== undefined) ? 'spec' : 'workflow_object';
  }
  const looksLikeEvent = own(json, 'eventId') !== undefined && typeof own(json, 'subscriptionType') === 'string';
  const hasText = ['subject', 'content', 'body'].some((key) => own(json, key) !== undefined);
  if (looksLikeEvent && !hasText) return 'single_event';
  return 'workflow_flat';
}

export function fieldError(field: string, reason: FieldErrorReason, message?: string): FieldError {
  const defaults: Record<FieldErrorReason, string> = {
    required: `${field} is required`,
    too_long: `${field} is too long`,
    invalid_type: `${field} has an unsupported type`,
    invalid_format: `${field} has an invalid format`,
  };
  return { field, reason, message: message ?? defaults[reason] };
}

/**
 * A text value: a string (trimmed), a finite number (stringified), or HubSpot's `{value: ...}` wrapper around one.
 * Missing, null and empty/whitespace-only become null; anything else (object, array, boolean) is invalid_type.
 */
export function readText(value: unknown, path: string): Read<string | null> {
  if (value === undefined || value === null) return { ok: true, value: null };
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return { ok: true, value: trimmed === '' ? null : trimmed };
  }
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value: String(value) };
  const unwrapped = unwrapValue(value);
  if (unwrapped.found) return readText(unwrapped.value, path);
  return { ok: false, error: fieldError(path, 'invalid_type') };
}

const ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * An identifier (ticket, portal, event): a non-negative safe integer or a short token string. Ids end up in URLs
 * and database keys, so anything outside `[A-Za-z0-9._-]{1,64}` is refused rather than escaped.
 */
export function readId(value: unknown, path: string): Read<string | null> {
  if (value === undefined || value === null) return { ok: true, value: null };
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0
      ? { ok: true, value: String(value) }
      : { ok: false, error: fieldError(path, 'invalid_format') };
  }
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '') return { ok: true, value: null };
    return ID_PATTERN.test(trimmed)
      ? { ok: true, value: trimmed }
      : { ok: false, error: fieldError(path, 'invalid_format') };
  }
  const unwrapped = unwrapValue(value);
  if (unwrapped.found) return readId(unwrapped.value, path);
  return { ok: false, error: fieldError(path, 'invalid_type') };
}

/** A wrapper is a plain object with an own `value` key whose value is itself a scalar (one level only). */
function unwrapValue(value: unknown): { found: true; value: unknown } | { found: false } {
  if (!isObject(value) || !Object.hasOwn(value, 'value')) return { found: false };
  const inner = value.value;
  if (inner === null || typeof inner === 'string' || typeof inner === 'number') return { found: true, value: inner };
  return { found: false };
}

/** The first alias that holds a non-null value; an alias holding an invalid value is an error, not skipped. */
export function readFirst<T>(
  candidates: ReadonlyArray<readonly [path: string, value: unknown]>,
  reader: (value: unknown, path: string) => Read<T | null>,
): Read<{ value: T; path: string } | null> {
  for (const [path, raw] of candidates) {
    const read = reader(raw, path);
    if (!read.ok) return read;
    if (read.value !== null) return { ok: true, value: { value: read.value, path } };
  }
  return { ok: true, value: null };
}

/**
 * Length in Unicode code points, so an emoji counts as one character as a person would count it (UTF-16 length
 * would count two; bytes up to four). A lone surrogate counts as one.
 */
export function codePointLength(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const isPair = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length;
    if (isPair) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    length++;
  }
  return length;
}
