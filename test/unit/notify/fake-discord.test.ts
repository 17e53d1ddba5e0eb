// The fake must behave like Discord where our tests rely on it: pings, validation, unknown webhooks, hangs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computePings, startFakeDiscord } from '../../fakes/discord.ts';

test('pings: only content is parsed, and only what allowed_mentions permits', () => {
  const content = '@everyone <@&1> <@2> <@!3>';
  assert.deepEqual(computePings({ content, embeds: [] }), { everyone: true, roles: ['1'], users: ['2', '3'] });
  assert.deepEqual(computePings({ content, allowed_mentions: { parse: [] } }), {
    everyone: false,
    roles: [],
    users: [],
  });
  assert.deepEqual(computePings({ content, allowed_mentions: { parse: ['everyone'], roles: ['1'] } }), {
    everyone: true,
    roles: ['1'],
    users: [],
  });
  assert.deepEqual(computePings({ embeds: [{ description: content }] }), { everyone: false, roles: [], users: [] });
});

test('the fake answers like Discord: message object, 400 50035 for invalid bodies, 404 for unknown hooks, hangs until closed', async () => {
  const discord = await startFakeDiscord();
  try {
    const post = (url: string, body: unknown) =>
      fetch(`${url}?wait=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    const ok = await post(discord.webhook.url, { content: 'hi', allowed_mentions: { parse: [] } });
    assert.equal(ok.status, 200);
    const message = (await ok.json()) as { id: string; content: string; mention_everyone: boolean };
    assert.match(message.id, /^\d+$/);
    assert.equal(message.content, 'hi');

    const invalid = await post(discord.webhook.url, { embeds: [{ title: 'x'.repeat(257) }] });
    assert.equal(invalid.status, 400);
    const body = (await invalid.json()) as { code: number; errors: Record<string, unknown> };
    assert.equal(body.code, 50035);
    assert.ok('embeds[0].title' in body.errors);

    const unknown = await post(`${discord.baseUrl}/api/webhooks/1/nope`, { content: 'hi' });
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { message: 'Unknown Webhook', code: 10015 });

    discord.script({ kind: 'rate_limit' });
    const limited = await post(discord.webhook.url, { content: 'hi' });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.deepEqual(await limited.json(), { message: 'You are being rate limited.', retry_after: 0.2, global: false });

    discord.script({ kind: 'hang' });
    const hung = post(discord.webhook.url, { content: 'hi' }).then(
      () => 'answered',
      () => 'failed',
    );
    await discord.waitForRequests(5);
    assert.equal(discord.requests[4]?.status, null);
    await discord.close();
    assert.equal(await hung, 'failed');
  } finally {
    await discord.close().catch(() => {});
  }
});

test('the fake sends rate-limit headers like Discord: bucket counters on 2xx, 429 with retry_after, Scope and Global', async () => {
  const discord = await startFakeDiscord();
  try {
    const post = () =>
      fetch(`${discord.webhook.url}?wait=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'hi', allowed_mentions: { parse: [] } }),
      });
    discord.setBucket({ limit: 2, windowMs: 60_000 });
    const first = await post();
    await first.text();
    assert.equal(first.headers.get('x-ratelimit-limit'), '2');
    assert.equal(first.headers.get('x-ratelimit-remaining'), '1');
    const resetAfter = Number(first.headers.get('x-ratelimit-reset-after'));
    assert.ok(resetAfter > 0 && resetAfter <= 60);
    assert.ok(Number(first.headers.get('x-ratelimit-reset')) > Date.now() / 1000);
    assert.ok(first.headers.get('x-ratelimit-bucket'));
    await (await post()).text();
    const spent = await post();
    assert.equal(spent.status, 429);
    assert.equal(spent.headers.get('x-ratelimit-remaining'), '0');
    assert.equal(spent.headers.get('x-ratelimit-scope'), 'user');
    const body = (await spent.json()) as { retry_after: number; global: boolean };
    assert.equal(body.global, false);
    assert.equal(spent.headers.get('retry-after'), String(Math.ceil(body.retry_after)));
    assert.deepEqual(
      discord.requests.map((r) => [r.status, r.limited]),
      [
        [200, false],
        [200, false],
        [429, true],
      ],
    );

    discord.setBucket(null);
    discord.block({ durationMs: 60_000, global: true });
    const global = await post();
    assert.equal(global.status, 429);
    assert.equal(global.headers.get('x-ratelimit-global'), 'true');
    assert.equal(global.headers.get('x-ratelimit-scope'), 'global');
    assert.equal(((await global.json()) as { global: boolean }).global, true);

    assert.equal(discord.maxConcurrent, 1);
    assert.ok(
      discord.requests.every((r) => r.concurrent === 1 && r.answeredAt !== null && r.answeredAt >= r.receivedAt),
    );
  } finally {
    await discord.close();
  }
});
