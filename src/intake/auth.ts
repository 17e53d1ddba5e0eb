// Webhook authentication (CONTRACTS §1.1): shared token, HubSpot signatures v1/v2/v3. Pure functions over the raw
// request; any one configured method passing is enough. Every comparison is constant-time, and results name which
// method failed and why but never carry a presented or configured secret.
import { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto';

export interface WebhookAuthConfig {
  /** HUBSPOT_WEBHOOK_TOKEN; null disables the shared-token method. */
  token: string | null;
  /** HUBSPOT_CLIENT_SECRET; null disables the signature methods. */
  clientSecret: string | null;
  /** PUBLIC_URL: the base URL HubSpot calls (may carry a path prefix a proxy strips). Needed for v2/v3. */
  publicUrl: string | null;
  /** Header carrying the shared token; matched case-insensitively. Default `x-webhook-token`. */
  tokenHeader?: string;
  /** Query parameter carrying the shared token. Default `token`. */
  tokenQueryParam?: string;
  /** Allowed clock difference for v3 timestamps, both directions. Default 5 minutes. */
  maxSkewMs?: number;
}

export type HeaderBag = Record<string, string | string[] | undefined>;

export interface WebhookAuthRequest {
  method: string;
  /** Exact request bytes: signatures are over these, never over re-serialized JSON. */
  rawBody: Buffer;
  headers: HeaderBag;
  /** Path and query exactly as received (Node `req.url`, e.g. `/webhook/hubspot?token=x`); not decoded. */
  url: string;
}

export type AuthMethod = 'token' | 'v1' | 'v2' | 'v3';

export type AuthResult = { ok: true; method: AuthMethod } | { ok: false; attempted: string[] };

const DEFAULT_MAX_SKEW_MS = 5 * 60 * 1000;

export function isWebhookAuthConfigured(config: WebhookAuthConfig): boolean {
  return Boolean(config.token) || Boolean(config.clientSecret);
}

/**
 * Checks every configured method against the request. `attempted` lists `method:reason` for each failure
 * (e.g. `token:mismatch`, `v3:stale_timestamp`); `none:not_configured` when no method is configured, which the
 * caller must treat as a refusal (production refuses to start in that state).
 */
export function authenticateWebhook(request: WebhookAuthRequest, config: WebhookAuthConfig, now: number): AuthResult {
  const headers = request.headers;
  const attempted: string[] = [];
  if (!isWebhookAuthConfigured(config)) return { ok: false, attempted: ['none:not_configured'] };

  if (config.token) {
    const failure = checkToken(request, headers, config, config.token);
    if (failure === null) return { ok: true, method: 'token' };
    attempted.push(failure);
  }

  if (config.clientSecret) {
    const secret = config.clientSecret;
    const hasV3 = header(headers, 'x-hubspot-signature-v3') !== undefined;
    const hasLegacy = header(headers, 'x-hubspot-signature') !== undefined;
    if (hasV3) {
      const failure = checkV3(request, headers, config, secret, now);
      if (failure === null) return { ok: true, method: 'v3' };
      attempted.push(failure);
    }
    if (hasLegacy) {
      const result = checkLegacy(request, headers, config, secret);
      if (result.ok) return { ok: true, method: result.method };
      attempted.push(result.failure);
    }
    if (!hasV3 && !hasLegacy) attempted.push('signature:missing');
  }
  return { ok: false, attempted };
}

function checkToken(
  request: WebhookAuthRequest,
  headers: HeaderBag,
  config: WebhookAuthConfig,
  expected: string,
): string | null {
  const headerValue = header(headers, (config.tokenHeader ?? 'x-webhook-token').toLowerCase());
  const queryValue = queryParam(request.url, config.tokenQueryParam ?? 'token');
  const presented = [headerValue, queryValue].filter((v): v is string => v !== undefined && v !== '');
  if (presented.length === 0) return 'token:missing';
  // Evaluate both candidates before deciding so the time taken does not depend on which one matched.
  const matches = presented.map((value) => equalsSecret(value, expected));
  return matches.includes(true) ? null : 'token:mismatch';
}

function checkV3(
  request: WebhookAuthRequest,
  headers: HeaderBag,
  config: WebhookAuthConfig,
  secret: string,
  now: number,
): string | null {
  const signature = header(headers, 'x-hubspot-signature-v3') ?? '';
  const timestampText = header(headers, 'x-hubspot-request-timestamp');
  if (timestampText === undefined || timestampText === '') return 'v3:missing_timestamp';
  if (!/^\d{1,16}$/.test(timestampText.trim())) return 'v3:invalid_timestamp';
  const timestamp = Number(timestampText.trim());
  const maxSkew = config.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (now - timestamp > maxSkew) return 'v3:stale_timestamp';
  if (timestamp - now > maxSkew) return 'v3:future_timestamp';
  if (!config.publicUrl) return 'v3:no_public_url';
  const uri = publicRequestUri(config.publicUrl, request.url);
  // HubSpot signs the timestamp header's text as sent, so use it verbatim rather than the parsed number.
  const expected = signatureV3(secret, request.method, uri, request.rawBody, timestampText.trim());
  return safeEqual(signature.trim(), expected) ? null : 'v3:mismatch';
}

/**
 * HubSpot's v3 signature: base64(HMAC-SHA256(client secret, METHOD + URI + body + timestamp)), with the URI's
 * escapes decoded as HubSpot does. Shared by the check above and `triage send`, which signs as HubSpot would.
 */
export function signatureV3(
  secret: string,
  method: string,
  uri: string,
  rawBody: Buffer | string,
  timestamp: string,
): string {
  return createHmac('sha256', secret)
    .update(method.toUpperCase())
    .update(decodeV3Uri(uri))
    .update(rawBody)
    .update(timestamp)
    .digest('base64');
}

function checkLegacy(
  request: WebhookAuthRequest,
  headers: HeaderBag,
  config: WebhookAuthConfig,
  secret: string,
): { ok: true; method: 'v1' | 'v2' } | { ok: false; failure: string } {
  const signature = (header(headers, 'x-hubspot-signature') ?? '').trim().toLowerCase();
  // HubSpot always sends the version header; its SDK treats a missing one as v1, and so do we.
  const version = (header(headers, 'x-hubspot-signature-version') ?? 'v1').trim().toLowerCase();
  if (version === 'v1') {
    const expected = createHash('sha256').update(secret).update(request.rawBody).digest('hex');
    return safeEqual(signature, expected) ? { ok: true, method: 'v1' } : { ok: false, failure: 'v1:mismatch' };
  }
  if (version === 'v2') {
    if (!config.publicUrl) return { ok: false, failure: 'v2:no_public_url' };
    // v2 signs the URI as called; the percent-decoding rule is documented for v3 only.
    const uri = publicRequestUri(config.publicUrl, request.url);
    const expected = createHash('sha256')
      .update(secret)
      .update(request.method.toUpperCase())
      .update(uri)
      .update(request.rawBody)
      .digest('hex');
    return safeEqual(signature, expected) ? { ok: true, method: 'v2' } : { ok: false, failure: 'v2:mismatch' };
  }
  return { ok: false, failure: 'signature:unsupported_version' };
}

/**
 * The URL HubSpot called: PUBLIC_URL (without trailing slash) followed by the path and query we received. Proxy
 * headers are deliberately ignored: anyone can send them, and a proxy that strips a path prefix is covered by
 * putting that prefix in PUBLIC_URL.
 */
export function publicRequestUri(publicUrl: string, pathAndQuery: string): string {
  const base = publicUrl.replace(/\/+$/, '');
  const path = pathAndQuery.startsWith('/') ? pathAndQuery : `/${pathAndQuery}`;
  return `${base}${path}`;
}

const V3_DECODED: Record<string, string> = {
  '3A': ':',
  '2F': '/',
  '3F': '?',
  '40': '@',
  '21': '!',
  '24': '$',
  '27': "'",
  '28': '(',
  '29': ')',
  '2A': '*',
  '2C': ',',
  '3B': ';',
};

/** HubSpot's v3 rule: decode exactly these twelve escapes (either hex case) and leave every other one as sent. */
export function decodeV3Uri(uri: string): string {
  return uri.replace(/%([0-9A-Fa-f]{2})/g, (match, hex: string) => V3_DECODED[hex.toUpperCase()] ?? match);
}

/** Constant-time string equality: both sides are hashed first so the compared buffers always have equal length. */
export function safeEqual(presented: string, expected: string): boolean {
  // The one-shot hash() costs a fraction of a createHash() object, and this runs for every delivery.
  return timingSafeEqual(hash('sha256', presented, 'buffer'), hash('sha256', expected, 'buffer'));
}

/**
 * safeEqual against a configured secret (the webhook token, the admin token): the secret's digest is computed once
 * and kept, so each check hashes only the presented value.
 */
export function equalsSecret(presented: string, secret: string): boolean {
  return timingSafeEqual(hash('sha256', presented, 'buffer'), secretDigest(secret));
}

// A handful of secrets, fixed for the process's life; bounded all the same.
const secretDigests = new Map<string, Buffer>();
function secretDigest(secret: string): Buffer {
  let digest = secretDigests.get(secret);
  if (digest === undefined) {
    if (secretDigests.size >= 16) secretDigests.clear();
    digest = hash('sha256', secret, 'buffer');
    secretDigests.set(secret, digest);
  }
  return digest;
}

/**
 * A header by its lower-case name. Node lower-cases the names it parses, so the direct lookup is the rule; other
 * callers' bags are searched case-insensitively. A repeated header arrives as an array; the first occurrence is the
 * one HubSpot set. Own properties only, so a header named like an Object.prototype member cannot alias one.
 */
function header(headers: HeaderBag, name: string): string | undefined {
  let value = Object.hasOwn(headers, name) ? headers[name] : undefined;
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        value = headers[key];
        break;
      }
    }
  }
  return Array.isArray(value) ? value[0] : value;
}

function queryParam(url: string, name: string): string | undefined {
  const index = url.indexOf('?');
  if (index === -1) return undefined;
  return new URLSearchParams(url.slice(index + 1)).get(name) ?? undefined;
}
