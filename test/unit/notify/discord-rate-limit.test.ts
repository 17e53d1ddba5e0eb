// The Discord client's shared rate limiter, seen from Discord's side (a real fake server): concurrent sends on one
// client must not each run into a 429. Counts and ordering only; where real timers run, the fake's own windows
// decide what counts as "too early", so a slow machine only makes the tests slower.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { createDiscordClient, DiscordError } from '../../../src/notify/discord-client.ts';
import type { DiscordWebhookPayload } from '../../../src/notify/types.ts';
import { type FakeDiscord, type RecordedRequest, startFakeDiscord } from '../../fakes/discord.ts';
import { discordMessage } from '../../fixtures/discord.ts';

let discord: FakeDiscord;
before(async () => {
  discord = await startFakeDiscord();
});
after(async () => {
  await discord.close();
});
beforeEach(() => {
  discord.requests.length = 0;
  discord.setBucket(null);
  discord.resetStats();
});

const payload: DiscordWebhookPayload = discordMessage();

/** Timers the test fires by hand: a sleep stays pending until `fireNext`, which moves the clock to its end. */
function manualTimers() {
  let clock = 0;
  const pending: Array<{ at: number; ms: number; resolve: () => void }> = [];
  let sleeping: (() => void) | null = null;
  return {
    now: () => clock,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        pending.push({ at: clock + ms, ms, resolve });
        sleeping?.();
      }),
    /** Resolves once a sleep is pending. */
    sleeping: () =>
      pending.length > 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            sleeping = resolve;
          }),
    pendingCount: () => pending.length,
    /** Fires the earliest pending sleep and returns how long it was. */
    fireNext(): number {
      pending.sort((a, b) => a.at - b.at);
      const next = pending.shift();
      assert.ok(next, 'no sleep is pending');
      clock = Math.max(clock, next.at);
      next.resolve();
      return next.ms;
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<DiscordError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof DiscordError, `expected DiscordError, got ${String(error)}`);
  return error;
}

const sendMany = (client: ReturnType<typeof createDiscordClient>, n: number, critical = false) =>
  Promise.all(Array.from({ length: n }, () => client.send(payload, { critical })));

/** Requests that reached the fake before the first one it answered 2xx: the time the route was blocked or unknown. */
function untilFirstSuccess(requests: RecordedRequest[]): RecordedRequest[] {
  const first = requests.findIndex((r) => r.status !== null && r.status < 300);
  return requests.slice(0, first + 1);
}

test('4 concurrent sends into a 0.5 s 429 window: one probe in the window, never two requests in flight', async () => {
  discord.block({ durationMs: 500 });
  const client = createDiscordClient({ webhookUrl: discord.webhook.url });
  const results = await sendMany(client, 4);

  assert.equal(results.length, 4);
  const limited = discord.requests.filter((r) => r.status === 429);
  assert.equal(limited.length, 1, `${limited.length} requests reached Discord during the 429 window`);
  for (const request of untilFirstSuccess(discord.requests)) {
    assert.equal(request.concurrent, 1, 'a request went in while the route was in a 429');
  }
  // The 429, the probe after the window, then the three queued sends: each message posted once.
  assert.equal(discord.requests.length, 5);
  assert.equal(discord.requests.filter((r) => r.status === 200).length, 4);
});

test('a bucket of 3 per 400 ms: 6 concurrent sends never meet a 429 and never exceed Remaining', async () => {
  discord.setBucket({ limit: 3, windowMs: 400 });
  const client = createDiscordClient({ webhookUrl: discord.webhook.url });
  await sendMany(client, 6);
  assert.deepEqual(
    discord.requests.map((r) => r.status),
    [200, 200, 200, 200, 200, 200],
  );
  assert.equal(discord.requests.filter((r) => r.limited).length, 0, 'no request arrived while the bucket was spent');
  assert.ok(discord.maxConcurrent <= 3, `${discord.maxConcurrent} in flight at once`);
  // The first request of each window is a probe: it goes alone.
  assert.equal(discord.requests[0]?.concurrent, 1);
});

test('Remaining 0 on a 2xx holds the next send back for Reset-After', async () => {
  discord.script({ kind: 'ok', rateLimit: { remaining: 0, resetAfter: 0.3 } });
  const timers = manualTimers();
  const client = createDiscordClient({ webhookUrl: discord.webhook.url, sleep: timers.sleep, now: timers.now });
  await client.send(payload, { critical: false });

  const next = client.send(payload, { critical: false });
  await timers.sleeping();
  assert.equal(discord.requests.length, 1, 'the second send went out while the bucket was spent');
  assert.equal(timers.fireNext(), 300);
  await next;
  assert.deepEqual(
    discord.requests.map((r) => r.status),
    [200, 200],
  );
});

test('a global 429 holds back the critical webhook too; after it one probe goes alone', async () => {
  const criticalHook = discord.createWebhook();
  const timers = manualTimers();
  const client = createDiscordClient({
    webhookUrl: discord.webhook.url,
    criticalWebhookUrl: criticalHook.url,
    sleep: timers.sleep,
    now: timers.now,
  });
  // Both routes have been used: neither is in its first-contact probe.
  await client.send(payload, { critical: false });
  await client.send(payload, { critical: true });
  discord.requests.length = 0;

  discord.script({ kind: 'rate_limit', retryAfter: 0.4, global: true });
  const first = client.send(payload, { critical: false });
  await timers.sleeping();
  const others = [client.send(payload, { critical: true }), client.send(payload, { critical: false })];
  assert.equal(client.status().queued, 3);
  assert.equal(client.status().globalBlocked, true);
  assert.equal(discord.requests.length, 1, 'a request went out during the global block');
  assert.equal(discord.requests[0]?.status, 429);

  assert.equal(timers.fireNext(), 400);
  await Promise.all([first, ...others]);
  const [limited, probe, ...rest] = discord.requests;
  assert.equal(limited?.webhookId, discord.webhook.id);
  assert.equal(probe?.webhookId, discord.webhook.id, 'the send that met the 429 probes first (FIFO)');
  assert.equal(probe?.status, 200);
  for (const request of rest) {
    assert.ok(request.receivedAt >= probe!.answeredAt!, 'a request went in beside the probe');
  }
  assert.deepEqual(rest.map((r) => r.webhookId).sort(), [criticalHook.id, discord.webhook.id].sort());
});

test('a 429 on one webhook does not hold back the other', async () => {
  const criticalHook = discord.createWebhook();
  const timers = manualTimers();
  const client = createDiscordClient({
    webhookUrl: discord.webhook.url,
    criticalWebhookUrl: criticalHook.url,
    sleep: timers.sleep,
    now: timers.now,
  });
  discord.script({ kind: 'rate_limit', retryAfter: 1 });
  const blocked = client.send(payload, { critical: false });
  await timers.sleeping();
  const critical = await client.send(payload, { critical: true });
  assert.equal(critical.channel, 'critical');
  assert.equal(discord.requests.length, 2);

  timers.fireNext();
  await blocked;
  assert.deepEqual(
    discord.requests.map((r) => [r.webhookId, r.status]),
    [
      [discord.webhook.id, 429],
      [criticalHook.id, 200],
      [discord.webhook.id, 200],
    ],
  );
});

test('retry_after beyond maxRetryAfterMs: every send fails fast and retryably, Discord is asked once', async () => {
  const timers = manualTimers();
  const client = createDiscordClient({
    webhookUrl: discord.webhook.url,
    sleep: timers.sleep,
    now: timers.now,
    maxRetryAfterMs: 1000,
  });
  discord.script({ kind: 'rate_limit', retryAfter: 30 });
  const errors = await Promise.all(
    Array.from({ length: 3 }, () => rejection(client.send(payload, { critical: false }))),
  );
  for (const error of errors) {
    assert.equal(error.errorClass, 'discord_unavailable');
    assert.equal(error.retryable, true);
    assert.equal(error.status, 429);
    assert.ok(!error.message.includes(discord.webhook.token));
  }
  assert.equal(discord.requests.length, 1);

  // A later send meets the remembered block without calling Discord.
  const later = await rejection(client.send(payload, { critical: false }));
  assert.equal(later.attempts, 0);
  assert.match(later.message, /retry after 30000 ms/);
  assert.equal(discord.requests.length, 1);
  assert.equal(timers.pendingCount(), 0, 'nothing sleeps for a block nobody waits out');

  const status = client.status();
  assert.equal(status.lastStatus, 429);
  assert.ok(status.blockedUntil !== null && status.blockedUntil > Date.now() + 25_000);
  assert.ok(status.last429At !== null);
  assert.ok(!JSON.stringify(status).includes(discord.webhook.token));
});

test('a long global 429 fails the critical webhook fast as well', async () => {
  const criticalHook = discord.createWebhook();
  const client = createDiscordClient({
    webhookUrl: discord.webhook.url,
    criticalWebhookUrl: criticalHook.url,
    maxRetryAfterMs: 1000,
  });
  discord.script({ kind: 'rate_limit', retryAfter: 3600, global: true });
  await rejection(client.send(payload, { critical: false }));
  const critical = await rejection(client.send(payload, { critical: true }));
  assert.equal(critical.retryable, true);
  assert.equal(critical.channel, 'critical');
  assert.match(critical.message, /global/);
  assert.deepEqual(
    discord.requests.map((r) => r.webhookId),
    [discord.webhook.id],
  );
});

test('a 429 with only the Retry-After header and X-RateLimit-Global blocks every webhook', async () => {
  // Body without retry_after or the global flag: the headers alone must do.
  const responses = [
    new Response('{"message":"You are being rate limited."}', {
      status: 429,
      headers: { 'retry-after': '2', 'x-ratelimit-global': 'true', 'x-ratelimit-scope': 'global' },
    }),
  ];
  const calls: string[] = [];
  const fakeFetch: typeof fetch = async (input) => {
    calls.push(String(input));
    return responses.shift() ?? new Response('{"id":"7"}', { status: 200 });
  };
  const timers = manualTimers();
  const client = createDiscordClient({
    webhookUrl: discord.webhook.url,
    criticalWebhookUrl: discord.createWebhook().url,
    fetch: fakeFetch,
    sleep: timers.sleep,
    now: timers.now,
  });
  const blocked = client.send(payload, { critical: false });
  await timers.sleeping();
  const critical = client.send(payload, { critical: true });
  assert.equal(calls.length, 1, 'the critical webhook was called during the global block');
  assert.equal(timers.fireNext(), 2000);
  await Promise.all([blocked, critical]);
  assert.equal(calls.length, 3);
});

/** A fetch whose answers the test gives, one call at a time, in the order it chooses. */
function heldFetch() {
  const calls: Array<{ url: string; answer: (response: Response) => void }> = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const fetch: typeof globalThis.fetch = (input) =>
    new Promise<Response>((resolve) => {
      calls.push({ url: String(input), answer: resolve });
      for (const waiter of waiters.filter((w) => calls.length >= w.n)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
  const callCount = (n: number) =>
    calls.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }));
  return { fetch, calls, callCount };
}

const posted = () => new Response('{"id":"1"}', { status: 200 });

test('an answer to a request sent before a 429 does not reopen the webhook: after the block one probe goes alone', async () => {
  const held = heldFetch();
  const timers = manualTimers();
  const client = createDiscordClient({
    webhookUrl: discord.webhook.url,
    fetch: held.fetch,
    sleep: timers.sleep,
    now: timers.now,
  });
  const first = client.send(payload, { critical: false });
  await held.callCount(1);
  held.calls[0]!.answer(posted());
  await first;

  // Open: two go in parallel; the one answered first meets a 429, the other's 2xx comes after it.
  const a = client.send(payload, { critical: false });
  const b = client.send(payload, { critical: false });
  await held.callCount(3);
  held.calls[1]!.answer(
    new Response('{"message":"You are being rate limited.","retry_after":0.5,"global":false}', {
      status: 429,
      headers: { 'retry-after': '1', 'x-ratelimit-scope': 'user' },
    }),
  );
  await timers.sleeping();
  held.calls[2]!.answer(posted());
  await b;

  const later = [client.send(payload, { critical: false }), client.send(payload, { critical: false })];
  assert.equal(held.calls.length, 3, 'a request went out during the block');
  assert.equal(timers.fireNext(), 500);
  await held.callCount(4);
  assert.equal(client.status().inFlight, 1, 'more than the probe went in after the block');
  held.calls[3]!.answer(posted());
  await held.callCount(6);
  assert.equal(client.status().inFlight, 2);
  held.calls[4]!.answer(posted());
  held.calls[5]!.answer(posted());
  await Promise.all([a, ...later]);
});
