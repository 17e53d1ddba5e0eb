import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  authenticateWebhook,
  decodeV3Uri,
  equalsSecret,
  isWebhookAuthConfigured,
  publicRequestUri,
  safeEqual,
  signatureV3,
  type WebhookAuthConfig,
  type WebhookAuthRequest,
} from '../../../src/intake/auth.ts';

// Vectors: the v2 pair is HubSpot's official one (CONTRACTS §1.1); v1/v3 were computed independently with Python's
// hashlib/hmac over the same secret and body, so they check our byte layout, not a re-run of our own code.
const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const BODY = '{"example_field":"example_value"}';
const V2_POST = '9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900';
const V2_GET = 'eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e';
const V1_POST = '54b2530692e3a3982727206aeee670ed1d85319cad55d4ddbafcf41725ebf2b3';
const V3_TS = '1700000000000';
const V3_POST = 'rQEKkaNUiu+1qGF//O/pw4BCzstSqO1PyUnGICmf+7o=';
const NOW = Number(V3_TS) + 1000;

const signatureConfig: WebhookAuthConfig = { token: null, clientSecret: SECRET, publicUrl: 'https://www.example.com' };
const tokenConfig: WebhookAuthConfig = { token: 's3cret-token-value', clientSecret: null, publicUrl: null };

function request(overrides: Partial<WebhookAuthRequest> = {}): WebhookAuthRequest {
  return { method: 'POST', rawBody: Buffer.from(BODY), headers: {}, url: '/webhook_uri', ...overrides };
}

describe('shared token', () => {
  test('accepts the token in the default header', () => {
    const result = authenticateWebhook(
      request({ headers: { 'x-webhook-token': 's3cret-token-value' } }),
      tokenConfig,
      NOW,
    );
    assert.deepEqual(result, { ok: true, method: 'token' });
  });

  test('accepts the token in the query string', () => {
    const result = authenticateWebhook(request({ url: '/webhook_uri?a=1&token=s3cret-token-value' }), tokenConfig, NOW);
    assert.deepEqual(result, { ok: true, method: 'token' });
  });

  test('a configurable header name, matched case-insensitively', () => {
    const config = { ...tokenConfig, tokenHeader: 'X-HubSpot-Key' };
    const ok = authenticateWebhook(request({ headers: { 'X-HUBSPOT-KEY': 's3cret-token-value' } }), config, NOW);
    assert.deepEqual(ok, { ok: true, method: 'token' });
    const defaultHeaderIgnored = authenticateWebhook(
      request({ headers: { 'x-webhook-token': 's3cret-token-value' } }),
      config,
      NOW,
    );
    assert.deepEqual(defaultHeaderIgnored, { ok: false, attempted: ['token:missing'] });
  });

  test('a wrong token, a prefix of the token and a missing token are refused without echoing the secret', () => {
    for (const presented of ['wrong', 's3cret-token-valu', 's3cret-token-value ', '']) {
      const result = authenticateWebhook(request({ headers: { 'x-webhook-token': presented } }), tokenConfig, NOW);
      assert.equal(result.ok, false);
      assert.ok(!JSON.stringify(result).includes('s3cret'), 'no secret in the result');
    }
    assert.deepEqual(authenticateWebhook(request({ headers: { 'x-webhook-token': 'wrong' } }), tokenConfig, NOW), {
      ok: false,
      attempted: ['token:mismatch'],
    });
    assert.deepEqual(authenticateWebhook(request(), tokenConfig, NOW), { ok: false, attempted: ['token:missing'] });
  });

  test('a wrong header token does not hide a right query token', () => {
    const result = authenticateWebhook(
      request({ headers: { 'x-webhook-token': 'wrong' }, url: '/webhook_uri?token=s3cret-token-value' }),
      tokenConfig,
      NOW,
    );
    assert.deepEqual(result, { ok: true, method: 'token' });
  });
});

describe('signature v1/v2 (X-HubSpot-Signature)', () => {
  test('official v2 vector: POST with body', () => {
    const headers = { 'X-HubSpot-Signature': V2_POST, 'X-HubSpot-Signature-Version': 'v2' };
    assert.deepEqual(authenticateWebhook(request({ headers }), signatureConfig, NOW), { ok: true, method: 'v2' });
  });

  test('official v2 vector: GET with an empty body', () => {
    const headers = { 'x-hubspot-signature': V2_GET, 'x-hubspot-signature-version': 'v2' };
    const result = authenticateWebhook(
      request({ method: 'GET', rawBody: Buffer.alloc(0), headers }),
      signatureConfig,
      NOW,
    );
    assert.deepEqual(result, { ok: true, method: 'v2' });
  });

  test('v2 fails when the body, method or URL differ from what was signed', () => {
    const headers = { 'x-hubspot-signature': V2_POST, 'x-hubspot-signature-version': 'v2' };
    const variants = [
      request({ headers, rawBody: Buffer.from(BODY.replace('value', 'valuE')) }),
      request({ headers, method: 'PUT' }),
      request({ headers, url: '/webhook_uri?x=1' }),
    ];
    for (const variant of variants) {
      assert.deepEqual(authenticateWebhook(variant, signatureConfig, NOW), { ok: false, attempted: ['v2:mismatch'] });
    }
  });

  test('v2 needs PUBLIC_URL', () => {
    const headers = { 'x-hubspot-signature': V2_POST, 'x-hubspot-signature-version': 'v2' };
    const result = authenticateWebhook(request({ headers }), { ...signatureConfig, publicUrl: null }, NOW);
    assert.deepEqual(result, { ok: false, attempted: ['v2:no_public_url'] });
  });

  test('PUBLIC_URL with a trailing slash gives the same URI', () => {
    assert.equal(publicRequestUri('https://www.example.com/', '/webhook_uri'), 'https://www.example.com/webhook_uri');
    const headers = { 'x-hubspot-signature': V2_POST, 'x-hubspot-signature-version': 'v2' };
    const config = { ...signatureConfig, publicUrl: 'https://www.example.com/' };
    assert.deepEqual(authenticateWebhook(request({ headers }), config, NOW), { ok: true, method: 'v2' });
  });

  test('v1 vector (body only, URL irrelevant), upper-case hex accepted', () => {
    const headers = { 'x-hubspot-signature': V1_POST.toUpperCase(), 'x-hubspot-signature-version': 'v1' };
    const result = authenticateWebhook(request({ headers, url: '/anything' }), signatureConfig, NOW);
    assert.deepEqual(result, { ok: true, method: 'v1' });
  });

  test('v1 is computed over the raw UTF-8 bytes', () => {
    const raw = Buffer.from('{"subject":"Café 😀"}', 'utf8');
    const headers = {
      'x-hubspot-signature': '0b0ebe0986aef9fa9d5376652f25dbd22087a9afb48835a6386e308406cff777',
      'x-hubspot-signature-version': 'v1',
    };
    assert.deepEqual(authenticateWebhook(request({ headers, rawBody: raw }), signatureConfig, NOW), {
      ok: true,
      method: 'v1',
    });
  });

  test('a v2 signature presented as v1 fails, and an unknown version is named', () => {
    const asV1 = { 'x-hubspot-signature': V2_POST, 'x-hubspot-signature-version': 'v1' };
    assert.deepEqual(authenticateWebhook(request({ headers: asV1 }), signatureConfig, NOW), {
      ok: false,
      attempted: ['v1:mismatch'],
    });
    const v9 = { 'x-hubspot-signature': V2_POST, 'x-hubspot-signature-version': 'v9' };
    assert.deepEqual(authenticateWebhook(request({ headers: v9 }), signatureConfig, NOW), {
      ok: false,
      attempted: ['signature:unsupported_version'],
    });
  });
});

describe('signature v3', () => {
  const v3Headers = { 'X-HubSpot-Signature-V3': V3_POST, 'X-HubSpot-Request-Timestamp': V3_TS };

  test('computed vector passes; header names are case-insensitive', () => {
    assert.deepEqual(authenticateWebhook(request({ headers: v3Headers }), signatureConfig, NOW), {
      ok: true,
      method: 'v3',
    });
    const lower = { 'x-hubspot-signature-v3': V3_POST, 'x-hubspot-request-timestamp': V3_TS };
    assert.deepEqual(authenticateWebhook(request({ headers: lower }), signatureConfig, NOW), {
      ok: true,
      method: 'v3',
    });
  });

  test('the shared signer (used by `triage send`) yields the independently computed vector', () => {
    assert.equal(signatureV3(SECRET, 'post', 'https://www.example.com/webhook_uri', BODY, V3_TS), V3_POST);
    // The URI is decoded by HubSpot's rule before signing, so an escaped '/' signs like a plain one.
    assert.equal(signatureV3(SECRET, 'POST', 'https://www.example.com%2Fwebhook_uri', BODY, V3_TS), V3_POST);
  });

  test('timestamps within five minutes either way pass; beyond that are stale or future', () => {
    const ts = Number(V3_TS);
    const at = (now: number) => authenticateWebhook(request({ headers: v3Headers }), signatureConfig, now);
    assert.equal(at(ts + 300_000).ok, true);
    assert.equal(at(ts - 300_000).ok, true);
    assert.deepEqual(at(ts + 300_001), { ok: false, attempted: ['v3:stale_timestamp'] });
    assert.deepEqual(at(ts - 300_001), { ok: false, attempted: ['v3:future_timestamp'] });
  });

  test('missing or non-numeric timestamp', () => {
    const noTs = { 'x-hubspot-signature-v3': V3_POST };
    assert.deepEqual(authenticateWebhook(request({ headers: noTs }), signatureConfig, NOW), {
      ok: false,
      attempted: ['v3:missing_timestamp'],
    });
    const badTs = { 'x-hubspot-signature-v3': V3_POST, 'x-hubspot-request-timestamp': '2023-11-14T22:13:20Z' };
    assert.deepEqual(authenticateWebhook(request({ headers: badTs }), signatureConfig, NOW), {
      ok: false,
      attempted: ['v3:invalid_timestamp'],
    });
  });

  test('a signature replayed with a different timestamp or body fails', () => {
    const otherTs = { ...v3Headers, 'X-HubSpot-Request-Timestamp': String(Number(V3_TS) + 1) };
    assert.deepEqual(authenticateWebhook(request({ headers: otherTs }), signatureConfig, NOW), {
      ok: false,
      attempted: ['v3:mismatch'],
    });
    const otherBody = request({ headers: v3Headers, rawBody: Buffer.from(`${BODY} `) });
    assert.deepEqual(authenticateWebhook(otherBody, signatureConfig, NOW), { ok: false, attempted: ['v3:mismatch'] });
  });

  test('URI: public base with a path prefix, only the twelve listed escapes decoded (either hex case)', () => {
    const config = { ...signatureConfig, publicUrl: 'https://triage.example.com/hooks' };
    const url = '/webhook/hubspot?email=a%40b.com&name=J%20D&x=%3a&y=%28%2A%29';
    // Python: hmac over 'POST' + 'https://triage.example.com/hooks/webhook/hubspot?email=a@b.com&name=J%20D&x=:&y=(*)'
    const headers = {
      'x-hubspot-signature-v3': 'xMa2uZR78f8AAS5DsEgqVAIoGoT+W7zOQAtuUS96bCE=',
      'x-hubspot-request-timestamp': V3_TS,
    };
    assert.deepEqual(authenticateWebhook(request({ url, headers }), config, NOW), { ok: true, method: 'v3' });

    // Signed over the fully decoded URI (%20 → space) or over the raw URI: both are wrong.
    for (const uri of [
      'https://triage.example.com/hooks/webhook/hubspot?email=a@b.com&name=J D&x=:&y=(*)',
      `https://triage.example.com/hooks${url}`,
    ]) {
      const signature = createHmac('sha256', SECRET).update(`POST${uri}${BODY}${V3_TS}`).digest('base64');
      const wrong = { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': V3_TS };
      assert.deepEqual(authenticateWebhook(request({ url, headers: wrong }), config, NOW), {
        ok: false,
        attempted: ['v3:mismatch'],
      });
    }
  });

  test('decodeV3Uri decodes exactly the listed escapes', () => {
    assert.equal(
      decodeV3Uri('%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B|%3a%2f%3f%2a|%20%25%26%3D%2B%23'),
      ":/?@!$'()*,;|:/?*|%20%25%26%3D%2B%23",
    );
  });

  test('a malformed signature header fails cleanly', () => {
    const headers = { 'x-hubspot-signature-v3': 'not base64 at all', 'x-hubspot-request-timestamp': V3_TS };
    assert.deepEqual(authenticateWebhook(request({ headers }), signatureConfig, NOW), {
      ok: false,
      attempted: ['v3:mismatch'],
    });
  });
});

describe('combining methods', () => {
  const both: WebhookAuthConfig = { ...signatureConfig, token: 's3cret-token-value' };

  test('any one configured method passing is enough', () => {
    const headers = { 'x-webhook-token': 'wrong', 'x-hubspot-signature': V2_POST, 'x-hubspot-signature-version': 'v2' };
    assert.deepEqual(authenticateWebhook(request({ headers }), both, NOW), { ok: true, method: 'v2' });
  });

  test('every attempted method is reported when all fail', () => {
    const headers = {
      'x-webhook-token': 'wrong',
      'x-hubspot-signature-v3': V3_POST,
      'x-hubspot-request-timestamp': '1',
      'x-hubspot-signature': 'ab',
      'x-hubspot-signature-version': 'v2',
    };
    assert.deepEqual(authenticateWebhook(request({ headers }), both, NOW), {
      ok: false,
      attempted: ['token:mismatch', 'v3:stale_timestamp', 'v2:mismatch'],
    });
    assert.deepEqual(authenticateWebhook(request(), both, NOW), {
      ok: false,
      attempted: ['token:missing', 'signature:missing'],
    });
  });

  test('a signature is not accepted when signatures are not configured', () => {
    const headers = { 'x-hubspot-signature': V2_POST, 'x-hubspot-signature-version': 'v2' };
    assert.deepEqual(authenticateWebhook(request({ headers }), tokenConfig, NOW), {
      ok: false,
      attempted: ['token:missing'],
    });
  });

  test('nothing configured is a refusal, and detectable up front', () => {
    const none = { token: null, clientSecret: null, publicUrl: null };
    assert.equal(isWebhookAuthConfigured(none), false);
    assert.equal(isWebhookAuthConfigured(tokenConfig), true);
    assert.deepEqual(authenticateWebhook(request(), none, NOW), { ok: false, attempted: ['none:not_configured'] });
  });

  test('an array-valued header uses its first value', () => {
    const headers = { 'x-webhook-token': ['s3cret-token-value', 'other'] };
    assert.deepEqual(authenticateWebhook(request({ headers }), tokenConfig, NOW), { ok: true, method: 'token' });
  });

  test('safeEqual and equalsSecret compare different lengths without throwing', () => {
    assert.equal(safeEqual('a', 'a'), true);
    assert.equal(safeEqual('a', 'ab'), false);
    assert.equal(safeEqual('', ''), true);
    // The kept digest belongs to its secret: a second secret, and the first again, still compare correctly.
    assert.equal(equalsSecret('token-one', 'token-one'), true);
    assert.equal(equalsSecret('token-one', 'token-two'), false);
    assert.equal(equalsSecret('token-two', 'token-two'), true);
    assert.equal(equalsSecret('token-one', 'token-one'), true);
    assert.equal(equalsSecret('', 'token-one'), false);
  });
});
