// Text that PostgreSQL can keep. `jsonb` and `text` refuse NUL (U+0000), and `jsonb` refuses a lone UTF-16 surrogate
// written as a \u escape; customer text may hold either. Intake makes ticket text storable once, on arrival, so no
// later write (after a Discord post, above all) can fail on it; the run store applies the same to what it records.

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching NUL is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Replaces NUL and lone surrogates with U+FFFD (the replacement character); other text is returned unchanged. */
export function storableText(text: string): string {
  UNSTORABLE.lastIndex = 0;
  return UNSTORABLE.test(text) ? text.replace(UNSTORABLE, '\ufffd') : text;
}

/** The same for every string inside a JSON-like value (object keys included); returns a copy only when needed. */
export function storableValue<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map((item) => storableValue(item)) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [storableText(key), storableValue(item)]),
    ) as T;
  }
  return value;
}
