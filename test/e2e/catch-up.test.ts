// The catch-up sweep through the real service: tickets whose webhooks never arrived are found through the CRM search
// and posted once; a ticket that was delivered is not posted again, and one created before the service first ran is
// not posted at all. The sweep is started the way its cron schedule starts it: as a graphile-worker job.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FakeDiscord } from '../fakes/discord.ts';
import { type FakeHubSpot, startFakeHubSpot } from '../fakes/hubspot.ts';
import { type FakeOllama, ollamaChat } from '../fakes/ollama.ts';
import { validOutput } from '../fixtures/triage.ts';
import type { TestDatabase } from '../helpers/db.ts';
import {
  PORTAL_ID,
  postDelivery,
  type RunningService,
  requestsFor,
  specDelivery,
  usePipeline,
  waitForEmptyQueue,
  waitForMessages,
  waitForTicket,
} from '../helpers/pipeline.ts';

const ACCESS_TOKEN = 'pat-catch-up-test-token';
let tdb: TestDatabase;
let ollama: FakeOllama;
let discord: FakeDiscord;
let hubspot: FakeHubSpot;
let service: RunningService;

usePipeline(async (pipeline) => {
  ({ tdb, ollama, discord } = pipeline);
  hubspot = pipeline.closeAfter(await startFakeHubSpot({ accessToken: ACCESS_TOKEN }));
  ollama.setDefault(ollamaChat(validOutput()));
  service = await pipeline.start({ HUBSPOT_ACCESS_TOKEN: ACCESS_TOKEN, HUBSPOT_API_BASE_URL: hubspot.baseUrl });
});

test('a sweep queues the tickets never seen, once, with the live deliveries’ portal, and nothing older than the first run', async () => {
  const { rows } = await tdb.pool.query<{ at: Date }>("select at from service_state where name = 'first_started'");
  const floor = rows[0]!.at.getTime();
  const at = (ms: number) => new Date(ms).toISOString();
  const ticket = (id: string, created: number) =>
    hubspot.addTicket({
      id,
      properties: { subject: `Swept ${id}`, content: `Body of ${id}`, createdate: at(created) },
    });
  ticket('7700', floor - 60_000); // before the service first ran: never swept
  ticket('7701', floor + 1_000); // delivered by webhook as well
  ticket('7702', floor + 2_000);
  ticket('7703', floor + 3_000);

  const delivered = await postDelivery(service.url, specDelivery('7701'));
  assert.equal(delivered.status, 200);
  await waitForTicket(tdb.pool, '7701', 'posted');

  for (let round = 0; round < 2; round++) {
    await tdb.pool.query("select graphile_worker.add_job('catch-up-sweep', '{}'::json)");
    await waitForEmptyQueue(tdb.pool);
  }
  await waitForMessages(discord, '7702');
  await waitForMessages(discord, '7703');
  await waitForEmptyQueue(tdb.pool);
  assert.equal(requestsFor(discord, '7701').length, 1, 'the delivered ticket is not posted again');
  assert.equal(requestsFor(discord, '7702').length, 1);
  assert.equal(requestsFor(discord, '7703').length, 1);
  assert.equal(requestsFor(discord, '7700').length, 0, 'older than the first run');

  const swept = await tdb.pool.query<{ ticket_id: string; portal_id: string | null; status: string }>(
    "select ticket_id, portal_id, status from processed_tickets where ticket_id in ('7702', '7703') order by 1",
  );
  assert.deepEqual(swept.rows, [
    { ticket_id: '7702', portal_id: String(PORTAL_ID), status: 'posted' },
    { ticket_id: '7703', portal_id: String(PORTAL_ID), status: 'posted' },
  ]);
  // A late live delivery of a swept ticket finds it done.
  const late = await postDelivery(service.url, specDelivery('7702'));
  assert.equal(late.body.status, 'duplicate');
  const searches = hubspot.requests.filter((r) => r.url.startsWith('/crm/v3/objects/tickets/search'));
  assert.ok(searches.length >= 2, 'each sweep searched the CRM');
});
