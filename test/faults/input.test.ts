// Scenarios 7 and 8: hostile input. A ticket whose subject and content hold U+0000 and a lone surrogate (\ud83d) must
// be posted exactly once; a Webhooks-API batch of 5,000 ticket.creation events must be refused with 413 and nothing
// queued, while a normal batch (events enriched from the fake HubSpot CRM) is posted once per ticket.
import assert from 'node:assert/strict';
import { creationEvents, PORTAL_ID, postDelivery, specDelivery, withDeadline } from '../helpers/pipeline.ts';
import { answerSummary, type DriverResult, flatDelivery, startDriver } from './harness/driver.ts';
import { scenarioTest, useFaultRig } from './harness/rig.ts';
import { assertInvariants, count, drain, messagesByTicket, pendingJobs, report } from './harness/tally.ts';

const rig = useFaultRig();

const POISON_SUBJECT = 'Export \u0000 broken \ud83d again';
const POISON_CONTENT = 'The export\u0000 fails. Lone surrogate: \ud83d. NUL at the end\u0000';

scenarioTest('a ticket with U+0000 and a lone surrogate is posted exactly once', { short: true }, async () => {
  const fault = 'nul-surrogate';
  const s = await rig.open(fault);
  await s.start('serve');
  const poison = new Set(['7100000', '7100001']); // one spec body, one flat body
  const driver = startDriver({
    urls: s.serveUrls,
    firstId: 7_100_000,
    ratePerSecond: 5,
    durationMs: 4_000,
    body: (id) =>
      !poison.has(id)
        ? Number(id) % 2 === 0
          ? specDelivery(id)
          : flatDelivery(id)
        : Number(id) % 2 === 0
          ? specDelivery(id, { subject: POISON_SUBJECT, content: POISON_CONTENT })
          : flatDelivery(id, { subject: POISON_SUBJECT, content: POISON_CONTENT }),
  });
  try {
    const result = await withDeadline(driver.done, 90_000, 'the driver to settle');
    const drained = await drain(s, result.acknowledged, { timeoutMs: 30_000 });
    const messages = messagesByTicket(s);
    const counts = count(fault, s, result, {
      drained,
      extra: {
        poison_acknowledged: [...poison].filter((id) => result.acknowledged.has(id)).length,
        poison_messages: [...poison].map((id) => messages.get(id)?.length ?? 0).join('+'),
        answers: answerSummary(result.answers),
      },
    });
    report(counts);
    for (const id of poison) assert.ok(result.acknowledged.has(id), `poison ticket ${id} was not acknowledged`);
    assertInvariants(counts);
  } finally {
    driver.abort();
    await s.close();
  }
});

const BATCH = 5000;
const CONTROL = 20;

scenarioTest(
  `a Webhooks-API batch of ${BATCH} events is refused with 413, nothing queued`,
  { short: true },
  async () => {
    const fault = 'batch-5000';
    const s = await rig.open(fault);
    const ids = Array.from({ length: BATCH + CONTROL }, (_, i) => String(8_100_000 + i));
    for (const id of ids) {
      s.hubspot.addTicket({
        id,
        properties: { subject: `CRM subject ${id}`, content: `CRM content of ${id}: invoices are missing.` },
      });
    }
    await s.start('serve');
    try {
      // Control: a batch of normal size is accepted, enriched from the CRM and posted once per ticket.
      const controlIds = ids.slice(0, CONTROL);
      const control = await postDelivery(s.serveUrls()[0]!, creationEvents(controlIds));
      assert.equal(control.status, 200, JSON.stringify(control.body).slice(0, 200));

      const bigIds = ids.slice(CONTROL);
      const body = creationEvents(bigIds);
      const bytes = Buffer.byteLength(JSON.stringify(body));
      const big = await postDelivery(s.serveUrls()[0]!, body);
      const { rows } = await s.pool.query<{ n: number }>(
        `select count(*)::int as n from graphile_worker.jobs where key = any($1::text[])`,
        [bigIds.map((id) => `ticket:${PORTAL_ID}:${id}`)],
      );
      const queuedFromBig = rows[0]?.n ?? 0;

      const acknowledged = new Set(controlIds);
      const drained = await drain(s, acknowledged, { timeoutMs: big.status === 413 ? 30_000 : 5_000 });
      const result: DriverResult = {
        ids: controlIds,
        deliveries: [],
        acknowledged,
        unacknowledged: new Set(),
        answers: {},
      };
      const messages = messagesByTicket(s);
      const counts = count(fault, s, result, {
        drained,
        extra: {
          batch_status: big.status,
          batch_bytes: bytes,
          batch_queued: queuedFromBig,
          batch_posted: bigIds.filter((id) => messages.has(id)).length,
          pending_jobs: (await pendingJobs(s)) ?? 'unknown',
        },
      });
      report(counts);
      assert.equal(
        big.status,
        413,
        `the ${BATCH}-event batch answered ${big.status}: ${JSON.stringify(big.body).slice(0, 200)}`,
      );
      assert.equal(queuedFromBig, 0, 'nothing of the refused batch is queued');
      assertInvariants(counts);
    } finally {
      await s.close();
    }
  },
);
