// The whole pipeline through the real `serve` process: a webhook delivery becomes exactly one Discord message whose
// embed follows CONTRACTS §5.1 field by field, with a run record and the ticket marked notified with the message id
// Discord returned; and a ticket stuffed with mentions and fences pings nobody.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PROMPT_VERSION } from '../../src/triage/prompt.ts';
import { computePings, type FakeDiscord } from '../fakes/discord.ts';
import { type FakeOllama, ollamaChat, type RecordedRequest } from '../fakes/ollama.ts';
import { validOutput } from '../fixtures/triage.ts';
import type { TestDatabase } from '../helpers/db.ts';
import { type DiscordProxy, startDiscordProxy } from '../helpers/discord-proxy.ts';
import { validateDiscordPayload } from '../helpers/discord-validator.ts';
import {
  PORTAL_ID,
  payloadOf,
  postDelivery,
  type RunningService,
  requestsFor,
  runsFor,
  specDelivery,
  usePipeline,
  waitForEmptyQueue,
  waitForMessages,
  waitForTicket,
} from '../helpers/pipeline.ts';

const MENTIONS = '@everyone @here <@&123> <@456> <@!789> ```js\nalert(1)\n```';

let tdb: TestDatabase;
let ollama: FakeOllama;
let discord: FakeDiscord;
let tap: DiscordProxy;
let service: RunningService;

/** Answers each chat request from the ticket it carries: the mention ticket gets an output full of mentions too. */
function answer(request: RecordedRequest) {
  const prompt = JSON.stringify((request.body as { messages?: unknown })?.messages ?? '');
  if (prompt.includes('E2E-MENTIONS')) {
    return ollamaChat(
      validOutput({
        priority: 'low',
        customer_summary: `Customer wrote ${MENTIONS}`,
        reply_draft: `Hi ${MENTIONS} thanks`,
        questions_for_customer: [`Did you mean ${MENTIONS}?`],
        internal_notes: [MENTIONS],
      }),
    );
  }
  return ollamaChat(validOutput({ priority: 'high' }), { promptEvalCount: 812, evalCount: 154 });
}

// The service posts through a proxy that keeps Discord's answers, so the test can compare the message id Discord
// returned with the one the service stored (the fake records requests, not its answers).
usePipeline(async (pipeline) => {
  ({ tdb, ollama, discord } = pipeline);
  ollama.setDefault(answer);
  tap = pipeline.closeAfter(await startDiscordProxy(discord));
  service = await pipeline.start({ DISCORD_WEBHOOK_URL: tap.webhookUrl });
});

describe('webhook → local LLM → Discord', () => {
  test('one message whose embed follows CONTRACTS §5.1, a run record, and the ticket notified with its id', async () => {
    const id = 'E2E-1001';
    const started = Date.now();
    const delivered = await postDelivery(service.url, specDelivery(id, { subject: 'Export button does nothing' }));
    assert.equal(delivered.status, 200);
    assert.equal(delivered.body.status, 'accepted');

    const [request] = await waitForMessages(discord, id);
    const row = await waitForTicket(tdb.pool, id, 'posted');
    await waitForEmptyQueue(tdb.pool);
    assert.equal(requestsFor(discord, id).length, 1, 'exactly one Discord request');
    assert.equal(ollama.requests.length, 1, 'one LLM call');

    assert.ok(request);
    assert.equal(request.method, 'POST');
    assert.equal(request.query.wait, 'true', 'the client asks Discord to validate and return the message');
    assert.equal(request.status, 200);
    const payload = payloadOf(request);
    assert.deepEqual(validateDiscordPayload(payload), []);
    assert.deepEqual(payload.allowed_mentions, { parse: [] });
    assert.equal(payload.content, undefined, 'a high, non-security ticket has no content line');
    assert.equal(payload.embeds?.length, 1);
    const embed = payload.embeds![0]!;
    assert.equal(embed.title, `[HIGH] Ticket #${id}: Export button does nothing`);
    assert.equal(embed.color, 0xff8800);
    assert.equal(embed.url, `https://app.hubspot.com/contacts/${PORTAL_ID}/record/0-5/${id}`);
    assert.equal(embed.description, 'Invoice export fails silently for an enterprise customer.');
    assert.deepEqual(
      embed.fields?.map((f) => [f.name, f.value]),
      [
        ['Priority', 'High'],
        ['Confidence', '85%'],
        ['Handling Mode', 'Reply And Internal Followup'],
        ['Internal Action', 'Create bug report'],
        ['Asana Ticket Type', 'Bug'],
        ['Customer', 'Dana Smith (enterprise)'],
        ['Questions for Customer', '1. Which browser do you use?\n2. Does it fail for every invoice?'],
        ['Reply Draft', 'Hi Jane,\nthanks for reporting this. Could you tell us which browser you use?'],
        ['Internal Notes', '• Export endpoint returned 500 in logs\n• Possibly related to last deploy'],
      ],
    );
    assert.match(
      embed.footer?.text ?? '',
      new RegExp(
        `^Triaged via local \\| model llama3\\.1:8b \\| prompt ${PROMPT_VERSION} \\| \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC$`,
      ),
    );
    const stamp = Date.parse(embed.timestamp ?? '');
    assert.ok(stamp >= started - 1000 && stamp <= Date.now() + 1000, `timestamp ${embed.timestamp} is now`);

    // The message id Discord answered is the one stored on the ticket and on its run.
    assert.equal(tap.records.length, 1);
    const messageId = (JSON.parse(tap.records[0]!.body) as { id: string }).id;
    assert.match(messageId, /^\d{17,20}$/);
    assert.equal(row.discord_message_id, messageId);
    assert.equal(row.provider, 'local');
    assert.equal(row.success, true);
    assert.equal(row.claimed_by, null, 'the claim is released when the ticket is finished');

    const runs = await runsFor(tdb.pool, id);
    assert.equal(runs.length, 1);
    const run = runs[0]!;
    assert.equal(run.status, 'posted');
    assert.equal(run.provider, 'local');
    assert.equal(run.model, 'llama3.1:8b');
    assert.equal(run.prompt_version, PROMPT_VERSION);
    assert.equal(run.prompt_tokens, 812);
    assert.equal(run.completion_tokens, 154);
    assert.equal(run.discord_message_id, messageId);
    assert.equal(run.attempt, 1);
    const t = run.timings;
    assert.ok(typeof t.queueWaitMs === 'number' && t.queueWaitMs >= 0, `queueWaitMs ${t.queueWaitMs}`);
    assert.equal(t.enrichmentMs, null, 'a full delivery needs no enrichment');
    assert.equal(t.providers.length, 1);
    assert.equal(t.providers[0]?.provider, 'local');
    assert.equal(t.providers[0]?.outcome, 'ok');
    assert.ok(t.providers[0]!.latencyMs >= 0);
    assert.ok(typeof t.notifyMs === 'number' && t.notifyMs >= 0);
    assert.ok(t.totalMs >= t.notifyMs + t.providers[0]!.latencyMs, `totalMs ${t.totalMs} covers its parts`);

    // The provider call is visible to Prometheus.
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    assert.match(metrics, /triage_provider_call_duration_seconds_count\{provider="local",outcome="ok"\} 1/);
    assert.match(metrics, /triage_tickets_processed_total\{status="posted",provider="local"\} 1/);

    // A redelivery after notification is a duplicate and posts nothing.
    const again = await postDelivery(service.url, specDelivery(id, { subject: 'Export button does nothing' }));
    assert.equal(again.body.status, 'duplicate');
    assert.equal(await pendingJobsFor(id), 0);
    assert.equal(requestsFor(discord, id).length, 1);
  });

  test('a ticket full of @everyone, @here, role/user mentions and fences pings nobody', async () => {
    const id = 'E2E-1002';
    const delivered = await postDelivery(
      service.url,
      specDelivery(id, {
        subject: `@everyone E2E-MENTIONS <@&123> \`\`\` @here`,
        content: `E2E-MENTIONS ${MENTIONS.repeat(20)}`,
        contact: { id: '902', email: 'e@example.com', firstname: '@everyone', lastname: '<@456>' },
        tier: '@here',
      }),
    );
    assert.equal(delivered.status, 200);
    const [request] = await waitForMessages(discord, id);
    await waitForTicket(tdb.pool, id, 'posted');
    assert.ok(request);
    assert.equal(request.status, 200, 'Discord accepted it');
    const payload = payloadOf(request);
    assert.deepEqual(validateDiscordPayload(payload), []);
    assert.deepEqual(computePings(payload), { everyone: false, roles: [], users: [] });
    assert.deepEqual(request.pings, { everyone: false, roles: [], users: [] });
    assert.ok(!payload.allowed_mentions?.parse?.includes('everyone'), 'a low ticket never allows @everyone');
    assert.ok(payload.allowed_mentions, 'allowed_mentions is always explicit');
    assert.equal(payload.embeds?.[0]?.color, 0x00ff00);

    // Beyond not pinging: no mention renders as a mention and no customer text opens a code block.
    const text = JSON.stringify(payload.embeds);
    assert.doesNotMatch(text, /@(everyone|here)/);
    assert.doesNotMatch(text, /<@[&!]?\d/);
    assert.doesNotMatch(text, /```/);
    assert.ok(text.includes('everyone'), 'the words themselves are kept for the reader');
  });
});

async function pendingJobsFor(id: string): Promise<number> {
  const { rows } = await tdb.pool.query<{ n: number }>(
    'select count(*)::int as n from graphile_worker.jobs where key like $1',
    [`%:${id}`],
  );
  return rows[0]?.n ?? 0;
}
