import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createConsoleSink } from '../../../src/notify/console-sink.ts';
import { createDiscordClient } from '../../../src/notify/discord-client.ts';
import { notifierHealth } from '../../../src/pipeline/wiring.ts';

test('/health shows the console sink as disabled and a Discord client as up until a 429 blocks it', async () => {
  assert.deepEqual(notifierHealth(createConsoleSink({ write: () => {} })), { status: 'disabled', sink: 'console' });

  let clock = 1_000_000;
  const answers = [
    new Response(JSON.stringify({ message: 'You are being rate limited.', retry_after: 30, global: false }), {
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': '30' },
    }),
  ];
  const client = createDiscordClient({
    webhookUrl: 'https://discord.example/api/webhooks/1/secret-token',
    fetch: async () => answers.shift() ?? new Response('{}', { status: 500 }),
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    maxRetryAfterMs: 10_000, // a 30 s wait is not waited out in-process: the send fails and the job retries later
  });
  assert.equal(notifierHealth(client).status, 'up');
  await assert.rejects(client.send({ content: 'x' } as never, { critical: false }));
  const blocked = notifierHealth(client);
  assert.equal(blocked.status, 'rate_limited');
  assert.equal(blocked.last_status, 429);
  const until = Date.parse(String(blocked.blocked_until));
  assert.ok(until > Date.now() + 20_000 && until <= Date.now() + 31_000, `blocked until ${blocked.blocked_until}`);
  assert.doesNotMatch(JSON.stringify(blocked), /secret-token/);
  assert.equal(notifierHealth(client, () => Date.now() + 31_000).status, 'up', 'the block ends by itself');
});
