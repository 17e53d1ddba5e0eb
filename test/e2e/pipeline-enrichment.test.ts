// Event-only deliveries (Webhooks API batches of ticket.creation) through the real service: the worker fetches the
// ticket and its contact from the (fake) HubSpot CRM and notifies with what it fetched; without an access token the
// ticket is not dropped but posted as a failure that names the enrichment.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FakeDiscord } from '../fakes/discord.ts';
import { type FakeHubSpot, startFakeHubSpot } from '../fakes/hubspot.ts';
import { type FakeOllama, ollamaChat } from '../fakes/ollama.ts';
import { validOutput } from '../fixtures/triage.ts';
import type { TestDatabase } from '../helpers/db.ts';
import { validateDiscordPayload } from '../helpers/discord-validator.ts';
import {
  creationEvents,
  PORTAL_ID,
  payloadOf,
  postDelivery,
  type RunningService,
  requestsFor,
  runsFor,
  usePipeline,
  waitForEmptyQueue,
  waitForMessages,
  waitForTicket,
} from '../helpers/pipeline.ts';

const ACCESS_TOKEN = 'pat-na1-00000000-e2e0-4000-8000-000000000001';
let withToken: TestDatabase;
let withoutToken: TestDatabase;
let ollama: FakeOllama;
let discord: FakeDiscord;
let hubspot: FakeHubSpot;
let enriching: RunningService;
let tokenless: RunningService;

usePipeline(async (pipeline) => {
  ({ tdb: withToken, ollama, discord } = pipeline);
  [withoutToken, hubspot] = await Promise.all([
    pipeline.database(),
    startFakeHubSpot({ accessToken: ACCESS_TOKEN }).then(pipeline.closeAfter),
  ]);
  ollama.setDefault(ollamaChat(validOutput()));
  // Each service on its own database, so neither's workers take the other's jobs.
  [enriching, tokenless] = await Promise.all([
    pipeline.start({ HUBSPOT_ACCESS_TOKEN: ACCESS_TOKEN, HUBSPOT_API_BASE_URL: hubspot.baseUrl }),
    pipeline.start({ HUBSPOT_API_BASE_URL: hubspot.baseUrl }, withoutToken),
  ]);
});

describe('event-only deliveries', () => {
  test('ticket.creation event → ticket and contact fetched from the CRM → posted with the fetched subject', async () => {
    const id = '8801';
    hubspot.addTicket({
      id,
      properties: { subject: 'Fetched: invoices page is blank', content: 'Since this morning the invoices page...' },
      contactIds: ['5501'],
    });
    hubspot.addContact({
      id: '5501',
      properties: { email: 'lee@example.com', firstname: 'Lee', lastname: 'Park', company: 'Globex' },
    });
    // The batch also carries an event type that must be acknowledged and ignored.
    const batch = [
      ...creationEvents([id]),
      { ...creationEvents(['8802'])[0], subscriptionType: 'ticket.propertyChange', propertyName: 'subject' },
    ];
    const delivered = await postDelivery(enriching.url, batch);
    assert.equal(delivered.status, 200);
    assert.deepEqual(delivered.body.accepted, [id]);
    assert.equal(delivered.body.ignored, 1);

    const [request] = await waitForMessages(discord, id);
    const row = await waitForTicket(withToken.pool, id, 'posted');
    await waitForEmptyQueue(withToken.pool);

    const ticketCalls = hubspot.requests.filter((r) => r.url.startsWith(`/crm/v3/objects/tickets/${id}`));
    assert.equal(ticketCalls.length, 1);
    assert.equal(ticketCalls[0]?.headers.authorization, `Bearer ${ACCESS_TOKEN}`);
    assert.ok(hubspot.requests.some((r) => r.url.startsWith('/crm/v3/objects/contacts/5501')));
    // The model saw the fetched content.
    assert.ok(JSON.stringify(ollama.requests.at(-1)?.body).includes('Since this morning the invoices page'));

    const payload = payloadOf(request!);
    assert.deepEqual(validateDiscordPayload(payload), []);
    const embed = payload.embeds![0]!;
    assert.equal(embed.title, `[HIGH] Ticket #${id}: Fetched: invoices page is blank`);
    assert.equal(embed.url, `https://app.hubspot.com/contacts/${PORTAL_ID}/record/0-5/${id}`);
    assert.equal(embed.fields?.find((f) => f.name === 'Customer')?.value, 'Lee Park');
    assert.equal(row.success, true);
    const [run] = await runsFor(withToken.pool, id);
    assert.equal(run?.status, 'posted');
    assert.ok(typeof run?.timings.enrichmentMs === 'number', 'enrichment time recorded');
    assert.equal(requestsFor(discord, id).length, 1);
  });

  test('without HUBSPOT_ACCESS_TOKEN → a failure message naming the enrichment, not a dropped ticket', async () => {
    const id = '8803';
    const before = hubspot.requests.length;
    const delivered = await postDelivery(tokenless.url, creationEvents([id]));
    assert.equal(delivered.status, 200);
    assert.deepEqual(delivered.body.accepted, [id]);

    const [request] = await waitForMessages(discord, id);
    const row = await waitForTicket(withoutToken.pool, id, 'posted_as_failure');
    await waitForEmptyQueue(withoutToken.pool);
    assert.equal(hubspot.requests.length, before, 'no CRM call without a token');
    assert.equal(ollama.requests.filter((r) => JSON.stringify(r.body).includes(id)).length, 0, 'nothing to triage');

    const payload = payloadOf(request!);
    assert.deepEqual(validateDiscordPayload(payload), []);
    assert.equal(payload.content, '**TRIAGE FAILED** - Manual review required');
    const embed = payload.embeds![0]!;
    assert.equal(embed.color, 0x808080);
    assert.match(embed.title ?? '', new RegExp(`^\\[TRIAGE FAILED\\] Ticket #${id}: `));
    assert.equal(embed.url, `https://app.hubspot.com/contacts/${PORTAL_ID}/record/0-5/${id}`);
    const field = (name: string) => embed.fields?.find((f) => f.name === name)?.value ?? '';
    assert.equal(field('Error Type'), 'enrichment');
    assert.match(field('Error Details'), /HUBSPOT\\?_ACCESS\\?_TOKEN/);

    assert.equal(row.success, false);
    assert.match(row.last_error ?? '', /^enrichment: /);
    const runs = await runsFor(withoutToken.pool, id);
    assert.deepEqual(
      runs.map((r) => [r.status, r.error_class]),
      [['posted_as_failure', 'enrichment']],
    );
    assert.equal(requestsFor(discord, id).length, 1);
  });
});
