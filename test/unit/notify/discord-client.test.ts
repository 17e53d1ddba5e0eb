import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { createDiscordClient, DiscordError } from '../../../src/notify/discord-client.ts';
import type { DiscordWebhookPayload } from '../../../src/notify/types.ts';
import { type FakeDiscord, startFakeDiscord } from '../../fakes/discord.ts';
import { discordMessage } from '../../fixtures/discord.ts';
import { closedPortUrl } from '../../helpers/pipeline.ts';

let discord: FakeDiscord;
before(async () => {
  discord = await startFakeDiscord();
});
after(async () => {
  await discord.close();
});
beforeEach(() => {
  discord.requests.length = 0;
});

const payload: DiscordWebhookPayload = discordMessage();

/** A sleep that returns at once and remembers what it was asked to wait, with the clock it moves forward. */
function recordingSleep() {
  const waits: number[] = [];
  let clock = 0;
  const sleep = async (ms: number) => {
    waits.push(ms);
    clock += ms;
  };
  return { waits, sleep, now: () => clock };
}

function recordingLogger() {
  const lines: string[] = [];
  const log = (obj: unknown, msg?: string) => void lines.push(JSON.stringify({ obj, msg }));
  return { lines, logger: { info: log, warn: log } };
}

async function rejection(promise: Promise<unknown>): Promise<DiscordError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof DiscordError, `expected DiscordError, got ${String(error)}`);
  return error;
}

function assertNoSecret(text: string, token: string): void {
  assert.ok(!text.includes(token), `leaked the webhook token: ${text}`);
  assert.ok(!text.includes('/api/webhooks/'), `leaked the webhook URL: ${text}`);
}

test('posts JSON with wait=true and returns the message id Discord assigned', async () => {
  const client = createDiscordClient({ webhookUrl: discord.webhook.url });
  const result = await client.send(payload, { critical: false });
  assert.equal(discord.requests.length, 1);
  const request = discord.requests[0]!;
  assert.equal(request.method, 'POST');
  assert.equal(request.webhookId, discord.webhook.id);
  assert.equal(request.query.wait, 'true');
  assert.match(String(request.headers['content-type']), /^application\/json/);
  assert.deepEqual(request.json, payload);
  assert.equal(request.status, 200);
  assert.match(result.messageId ?? '', /^\d{17,20}$/);
  assert.deepEqual({ channel: result.channel, attempts: result.attempts }, { channel: 'default', attempts: 1 });
});

test('existing query parameters such as thread_id are kept', async () => {
  const client = createDiscordClient({ webhookUrl: `${discord.webhook.url}?thread_id=555` });
  await client.send(payload, { critical: false });
  assert.deepEqual(discord.requests[0]?.query, { thread_id: '555', wait: 'true' });
});

test('a 204 without a body is a success with no message id', async () => {
  discord.script({ kind: 'no_content' });
  const result = await createDiscordClient({ webhookUrl: discord.webhook.url }).send(payload, { critical: false });
  assert.equal(result.messageId, null);
  assert.equal(discord.requests.length, 1);
});

test('429 with retry_after 0.2 waits 200 ms as told, then posts exactly one message', async () => {
  discord.script({ kind: 'rate_limit', retryAfter: 0.2 });
  const { waits, sleep, now } = recordingSleep();
  const result = await createDiscordClient({ webhookUrl: discord.webhook.url, sleep, now }).send(payload, {
    critical: false,
  });
  assert.deepEqual(waits, [200]);
  assert.deepEqual(
    discord.requests.map((r) => r.status),
    [429, 200],
  );
  assert.equal(result.attempts, 2);
});

test('429 with the real timer: the second request arrives no sooner than retry_after', async () => {
  discord.script({ kind: 'rate_limit', retryAfter: 0.2 });
  const result = await createDiscordClient({ webhookUrl: discord.webhook.url }).send(payload, { critical: false });
  const [first, second] = discord.requests;
  assert.ok(first && second);
  assert.ok(second.receivedAt - first.receivedAt >= 190, `waited ${second.receivedAt - first.receivedAt} ms`);
  assert.equal(result.attempts, 2);
  assert.equal(discord.requests.filter((r) => r.status === 200).length, 1);
});

test('429 without retry_after in the body falls back to the Retry-After header', async () => {
  const { waits, sleep, now } = recordingSleep();
  let calls = 0;
  const fakeFetch: typeof fetch = async () => {
    calls += 1;
    return calls === 1
      ? new Response('{"message":"You are being rate limited."}', { status: 429, headers: { 'retry-after': '2' } })
      : new Response('{"id":"42"}', { status: 200 });
  };
  const result = await createDiscordClient({ webhookUrl: discord.webhook.url, fetch: fakeFetch, sleep, now }).send(
    payload,
    {
      critical: false,
    },
  );
  assert.deepEqual(waits, [2000]);
  assert.equal(result.messageId, '42');
});

test('rate-limit retries are bounded, and a very long retry_after is not waited out', async () => {
  discord.script(...Array.from({ length: 6 }, () => ({ kind: 'rate_limit' as const, retryAfter: 0.01 })));
  const { waits, sleep, now } = recordingSleep();
  const client = createDiscordClient({ webhookUrl: discord.webhook.url, sleep, now });
  const error = await rejection(client.send(payload, { critical: false }));
  assert.equal(error.errorClass, 'discord_unavailable');
  assert.equal(error.retryable, true);
  assert.equal(discord.requests.length, 6);
  assert.deepEqual(waits, [10, 10, 10, 10, 10]);

  discord.requests.length = 0;
  discord.script({ kind: 'rate_limit', retryAfter: 3600, global: true });
  const long = await rejection(client.send(payload, { critical: false }));
  assert.equal(long.errorClass, 'discord_unavailable');
  assert.equal(discord.requests.length, 1);
});

test('500 twice then 200: waits 1000 then 3000 ms and posts one message', async () => {
  discord.script({ kind: 'server_error' }, { kind: 'server_error', status: 502 });
  const { waits, sleep, now } = recordingSleep();
  const result = await createDiscordClient({ webhookUrl: discord.webhook.url, sleep, now }).send(payload, {
    critical: false,
  });
  assert.deepEqual(waits, [1000, 3000]);
  assert.deepEqual(
    discord.requests.map((r) => r.status),
    [500, 502, 200],
  );
  assert.equal(result.attempts, 3);
});

test('500 three times: gives up as discord_unavailable (retryable)', async () => {
  discord.script({ kind: 'server_error' }, { kind: 'server_error' }, { kind: 'server_error' });
  const { waits, sleep, now } = recordingSleep();
  const error = await rejection(
    createDiscordClient({ webhookUrl: discord.webhook.url, sleep, now }).send(payload, { critical: false }),
  );
  assert.equal(error.errorClass, 'discord_unavailable');
  assert.equal(error.retryable, true);
  assert.equal(error.status, 500);
  assert.equal(error.attempts, 3);
  assert.deepEqual(waits, [1000, 3000]);
  assertNoSecret(error.message, discord.webhook.token);
});

test('404 Unknown Webhook: exactly one request, a configuration error without the token', async () => {
  const { lines, logger } = recordingLogger();
  const deleted = `${discord.baseUrl}/api/webhooks/${discord.webhook.id}/not-the-right-token-${'x'.repeat(30)}`;
  const { waits, sleep, now } = recordingSleep();
  const error = await rejection(
    createDiscordClient({ webhookUrl: deleted, sleep, now, logger }).send(payload, { critical: false }),
  );
  assert.equal(discord.requests.length, 1);
  assert.deepEqual(waits, []);
  assert.equal(error.errorClass, 'discord_config');
  assert.equal(error.retryable, false);
  assert.equal(error.status, 404);
  assert.equal(error.discordCode, 10015);
  assert.match(error.message, /Unknown Webhook/);
  assertNoSecret(error.message, `not-the-right-token-${'x'.repeat(30)}`);
  assertNoSecret(String(error.stack), `not-the-right-token-${'x'.repeat(30)}`);
  // The operator is told which webhook was refused, without its URL.
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, /"msg":"discord refused the webhook"/);
  assert.match(lines[0]!, /"status":404/);
  for (const line of lines) assertNoSecret(line, `not-the-right-token-${'x'.repeat(30)}`);
});

test('401 and a scripted 404 are configuration errors too, never retried', async () => {
  for (const kind of ['unauthorized', 'unknown_webhook'] as const) {
    discord.requests.length = 0;
    discord.script({ kind });
    const error = await rejection(
      createDiscordClient({ webhookUrl: discord.webhook.url }).send(payload, { critical: false }),
    );
    assert.equal(error.errorClass, 'discord_config');
    assert.equal(discord.requests.length, 1);
    assertNoSecret(error.message, discord.webhook.token);
  }
});

test('a payload Discord would reject comes back as 400 50035 naming the invalid path, not retried', async () => {
  const invalid: DiscordWebhookPayload = {
    embeds: [{ title: 'x'.repeat(300), fields: [{ name: 'Empty', value: '' }] }],
    allowed_mentions: { parse: ['roles'], roles: ['1'] },
  };
  const error = await rejection(
    createDiscordClient({ webhookUrl: discord.webhook.url }).send(invalid, { critical: false }),
  );
  assert.equal(discord.requests.length, 1);
  assert.equal(error.errorClass, 'discord_config');
  assert.equal(error.discordCode, 50035);
  assert.match(error.message, /embeds\[0\]\.title/);
});

test('critical tickets go to the critical webhook when configured, others to the default', async () => {
  const criticalHook = discord.createWebhook();
  const client = createDiscordClient({ webhookUrl: discord.webhook.url, criticalWebhookUrl: criticalHook.url });
  const critical = await client.send(payload, { critical: true });
  const normal = await client.send(payload, { critical: false });
  assert.equal(critical.channel, 'critical');
  assert.equal(normal.channel, 'default');
  assert.deepEqual(
    discord.requests.map((r) => r.webhookId),
    [criticalHook.id, discord.webhook.id],
  );

  const single = createDiscordClient({ webhookUrl: discord.webhook.url, criticalWebhookUrl: null });
  assert.equal((await single.send(payload, { critical: true })).channel, 'default');
  assert.equal(discord.requests.at(-1)?.webhookId, discord.webhook.id);
});

test('a request that hangs times out and is retried after 1 s', async () => {
  discord.script({ kind: 'hang' });
  const { waits, sleep, now } = recordingSleep();
  // Long enough that the answered retry never times out on a loaded machine; the hang costs this much once.
  const result = await createDiscordClient({ webhookUrl: discord.webhook.url, timeoutMs: 1000, sleep, now }).send(
    payload,
    {
      critical: false,
    },
  );
  assert.deepEqual(waits, [1000]);
  assert.deepEqual(
    discord.requests.map((r) => r.status),
    [null, 200],
  );
  assert.equal(result.attempts, 2);
});

test('a webhook that always hangs ends in discord_unavailable after three timed-out attempts', async () => {
  discord.script({ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' });
  const { waits, sleep, now } = recordingSleep();
  const error = await rejection(
    createDiscordClient({ webhookUrl: discord.webhook.url, timeoutMs: 100, sleep, now }).send(payload, {
      critical: false,
    }),
  );
  assert.equal(error.errorClass, 'discord_unavailable');
  assert.match(error.message, /timeout/);
  assert.equal(discord.requests.length, 3);
  assert.deepEqual(waits, [1000, 3000]);
});

test('connection refused is retried, then discord_unavailable without the token', async () => {
  const closed = await closedPortUrl();
  const token = `secret-token-${'y'.repeat(40)}`;
  const { lines, logger } = recordingLogger();
  const { waits, sleep, now } = recordingSleep();
  const error = await rejection(
    createDiscordClient({ webhookUrl: `${closed}/api/webhooks/1/${token}`, sleep, now, logger }).send(payload, {
      critical: false,
    }),
  );
  assert.equal(error.errorClass, 'discord_unavailable');
  assert.match(error.message, /ECONNREFUSED/);
  assert.deepEqual(waits, [1000, 3000]);
  assertNoSecret(error.message, token);
  assert.equal(lines.length, 2);
  for (const line of lines) assertNoSecret(line, token);
});

test('an unusable webhook URL fails at construction as a configuration error', () => {
  assert.throws(
    () => createDiscordClient({ webhookUrl: 'not a url/api/webhooks/1/abc' }),
    (e: unknown) => e instanceof DiscordError && e.errorClass === 'discord_config' && !e.message.includes('abc'),
  );
});
