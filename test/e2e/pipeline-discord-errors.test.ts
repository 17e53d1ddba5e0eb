// Discord's answers through the real service: 429 waits the time Discord asked for, and the service's workers share
// it (one request during a 429 window however many tickets wait); 5xx retries after 1 s then 3 s; 404 (deleted
// webhook) is a configuration error: one request, the ticket `failed`, a warning on /health.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FakeDiscord } from '../fakes/discord.ts';
import { type FakeOllama, ollamaChat } from '../fakes/ollama.ts';
import { validOutput } from '../fixtures/triage.ts';
import type { TestDatabase } from '../helpers/db.ts';
import {
  postDelivery,
  type RunningService,
  requestsFor,
  runsFor,
  specDelivery,
  usePipeline,
  waitForEmptyQueue,
  waitForMessages,
  waitForTicket,
  waitUntil,
} from '../helpers/pipeline.ts';

let tdb: TestDatabase;
let ollama: FakeOllama;
let discord: FakeDiscord;
let service: RunningService;

usePipeline(async (pipeline) => {
  ({ tdb, ollama, discord } = pipeline);
  ollama.setDefault(ollamaChat(validOutput()));
  service = await pipeline.start();
});

/** The fake's script is global, so these tests run one ticket at a time (node:test runs a file's tests in order). */
describe('Discord errors', () => {
  // First in the file: until the service has heard from Discord its first request goes alone, so the window's
  // count does not depend on how the tickets' triage overlaps.
  test('4 tickets on 4 workers into a 429 window → at most one request in the window, each ticket posted once', async () => {
    const ids = ['DE-W1', 'DE-W2', 'DE-W3', 'DE-W4'];
    discord.block({ durationMs: 1500 });
    const posts = await Promise.all(ids.map((id) => postDelivery(service.url, specDelivery(id))));
    assert.deepEqual(
      posts.map((p) => p.status),
      [200, 200, 200, 200],
    );
    for (const id of ids) await waitForTicket(tdb.pool, id, 'posted');
    await waitForEmptyQueue(tdb.pool);
    const limited = discord.requests.filter((r) => r.limited);
    assert.ok(limited.length <= 1, `${limited.length} requests reached Discord during the 429 window`);
    for (const id of ids) {
      assert.equal(requestsFor(discord, id).filter((r) => r.status === 200).length, 1, `${id} posted once`);
    }
    for (const request of discord.requests.filter((r) => r.receivedAt <= (limited[0]?.answeredAt ?? 0))) {
      assert.equal(request.concurrent, 1, 'a request went in beside the one that met the 429');
    }
  });

  test('429 retry_after 0.2 then 200 → one message, the wait honoured', async () => {
    const id = 'DE-429';
    discord.script({ kind: 'rate_limit', retryAfter: 0.2 });
    assert.equal((await postDelivery(service.url, specDelivery(id))).status, 200);
    const [limited, posted] = await waitForMessages(discord, id, 2);
    const row = await waitForTicket(tdb.pool, id, 'posted');
    await waitForEmptyQueue(tdb.pool);
    assert.equal(limited?.status, 429);
    assert.equal(posted?.status, 200);
    const waited = posted!.receivedAt - limited!.receivedAt;
    assert.ok(waited >= 190, `waited ${waited.toFixed(0)} ms, Discord asked for 200`);
    assert.ok(waited < 1500, `waited ${waited.toFixed(0)} ms: the body's 0.2 s, not the header's rounded 1 s`);
    assert.equal(requestsFor(discord, id).length, 2);
    assert.ok(row.discord_message_id);
  });

  test('500, 500, then 200 → one message after waits of about 1 s and 3 s', async () => {
    const id = 'DE-500';
    discord.script({ kind: 'server_error' }, { kind: 'server_error' });
    assert.equal((await postDelivery(service.url, specDelivery(id))).status, 200);
    const requests = await waitForMessages(discord, id, 3, 20_000);
    await waitForTicket(tdb.pool, id, 'posted');
    await waitForEmptyQueue(tdb.pool);
    assert.deepEqual(
      requests.map((r) => r.status),
      [500, 500, 200],
    );
    const gaps = [1, 2].map((i) => requests[i]!.receivedAt - requests[i - 1]!.receivedAt);
    assert.ok(gaps[0]! >= 950 && gaps[0]! < 2500, `first back-off ${gaps[0]!.toFixed(0)} ms`);
    assert.ok(gaps[1]! >= 2950 && gaps[1]! < 4500, `second back-off ${gaps[1]!.toFixed(0)} ms`);
    assert.equal(requestsFor(discord, id).length, 3);
    const runs = await runsFor(tdb.pool, id);
    assert.deepEqual(
      runs.map((r) => r.status),
      ['posted'],
      'the client retried within one attempt',
    );
  });

  test('404 Unknown Webhook → one request, ticket not_posted with discord_config, a /health warning', async () => {
    const id = 'DE-404';
    discord.script({ kind: 'unknown_webhook' });
    assert.equal((await postDelivery(service.url, specDelivery(id))).status, 200);
    await waitForMessages(discord, id, 1);
    const row = await waitForTicket(tdb.pool, id, 'not_posted');
    assert.match(row.last_error ?? '', /^discord_config/);
    assert.equal(row.discord_message_id, null);
    // The job completed (no retry scheduled): nothing is left that could call Discord again.
    await waitForEmptyQueue(tdb.pool);
    const runs = await runsFor(tdb.pool, id);
    assert.deepEqual(
      runs.map((r) => [r.status, r.error_class]),
      [['not_posted', 'discord_config']],
    );

    const health = await waitUntil('a discord_config warning on /health', async () => {
      const response = await fetch(`${service.url}/health`);
      const body = (await response.json()) as { status: string; warnings: string[] };
      return body.warnings.some((w) => w.startsWith('discord_config')) ? body : undefined;
    });
    assert.equal(health.status, 'degraded');
    assert.equal(requestsFor(discord, id).length, 1, 'no retry storm');

    // The empty queue above is what rules out a later retry (a retry is a scheduled job row). A next ticket shows
    // the worker carries on after a configuration error, and the 404 ticket still has its single request.
    const next = 'DE-after-404';
    assert.equal((await postDelivery(service.url, specDelivery(next))).status, 200);
    await waitForTicket(tdb.pool, next, 'posted');
    await waitForEmptyQueue(tdb.pool);
    assert.equal(requestsFor(discord, id).length, 1, 'still exactly one request for the 404 ticket');
    assert.equal((await runsFor(tdb.pool, id)).length, 1);
  });
});
