// Property-based: whatever an authenticated caller POSTs as application/json (arbitrary JSON values, arbitrary
// bytes, valid deliveries with fields replaced by random values), the route answers a 2xx accepted/duplicate or a
// 4xx with a JSON `error` string: never a 5xx, never a crash, and an accepted ticket always has its job.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { TestDatabase } from '../helpers/db.ts';
import { type IntakeApp, TOKEN, useIntakeApp, WEBHOOK_PATH } from '../helpers/intake.ts';

let tdb: TestDatabase;
let intake: IntakeApp;
useIntakeApp({}, (used) => ({ tdb, intake } = used));

const ERROR_CODES = new Set(['invalid_json', 'validation_error']);

async function checkDelivery(payload: string | Buffer): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await intake.app.inject({
    method: 'POST',
    url: WEBHOOK_PATH,
    headers: { 'content-type': 'application/json', 'x-webhook-token': TOKEN },
    payload,
  });
  assert.ok(response.statusCode < 500, `status ${response.statusCode}: ${response.body}`);
  const body = response.json() as Record<string, unknown>;
  if (response.statusCode === 200) {
    assert.ok(body.status === 'accepted' || body.status === 'duplicate', response.body);
    if (typeof body.ticket_id === 'string' && body.status === 'accepted') {
      const jobs = await tdb.pool.query(
        "select 1 from processed_tickets where ticket_id = $1 and status in ('queued', 'triaging')",
        [body.ticket_id],
      );
      assert.ok(jobs.rowCount! >= 1, `accepted ticket ${body.ticket_id} is queued`);
    }
    return { status: 200, body };
  }
  assert.equal(response.statusCode, 400, response.body);
  assert.equal(typeof body.error, 'string');
  assert.ok(ERROR_CODES.has(body.error as string), `error code ${body.error}`);
  assert.equal(typeof body.message, 'string');
  if (body.error === 'validation_error') {
    const details = body.details as { field?: unknown; reason?: unknown } | undefined;
    assert.equal(typeof details?.field, 'string', response.body);
    assert.equal(typeof details?.reason, 'string', response.body);
  }
  return { status: response.statusCode, body };
}

const jsonText = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc
    .anything({ withNullPrototype: true, withObjectString: true, withSparseArray: true, withBoxedValues: true })
    .map((value) => {
      try {
        return JSON.stringify(value);
      } catch {
        return undefined;
      }
    })
    .filter((text): text is string => typeof text === 'string'),
);

test('random JSON values never cause a 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(jsonText, async (text) => {
      await checkDelivery(text);
    }),
    { numRuns: 150, interruptAfterTimeLimit: 60_000 },
  );
});

test('random bytes never cause a 5xx', async () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 512 }),
    // Bytes spliced into otherwise valid JSON: invalid UTF-8 inside strings, truncations, stray NULs.
    fc.tuple(fc.uint8Array({ maxLength: 16 }), fc.nat()).map(([noise, at]) => {
      const valid = Buffer.from('{"ticket_id":"fz","subject":"s","content":"body text"}');
      const cut = at % valid.length;
      return Buffer.concat([valid.subarray(0, cut), Buffer.from(noise), valid.subarray(cut)]);
    }),
  );
  await fc.assert(
    fc.asyncProperty(bytes, async (raw) => {
      await checkDelivery(Buffer.from(raw));
    }),
    { numRuns: 100, interruptAfterTimeLimit: 60_000 },
  );
});

test('valid deliveries with fields swapped for random values: accepted or a 400 naming a field', async () => {
  const anyValue = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constantFrom('', '   ', null, 0, -1, 1e21, 2 ** 53, '../x', 'a'.repeat(65), { value: 'w' }, { value: 7 }),
  );
  const keys = [
    'ticket_id',
    'hs_object_id',
    'objectId',
    'id',
    'subject',
    'content',
    'body',
    'email',
    'customer_name',
    'firstname',
    'customer_tier',
    'portalId',
    'portal_id',
    'properties',
    'associatedContacts',
    'customProperties',
    'subscriptionType',
    'eventId',
  ];
  const delivery = fc
    .tuple(fc.integer({ min: 1, max: 1_000_000 }), fc.dictionary(fc.constantFrom(...keys), anyValue, { maxKeys: 5 }))
    .map(([id, changes]) => ({ ticket_id: `fz-${id}`, subject: 'Subject', content: 'Body', ...changes }));
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(delivery, async (body) => {
      const answer = await checkDelivery(JSON.stringify(body));
      if (answer.status === 400)
        assert.equal(answer.body.error, 'validation_error', 'valid JSON is never invalid_json');
      if (answer.body.status === 'accepted') accepted++;
    }),
    { numRuns: 100, interruptAfterTimeLimit: 60_000 },
  );
  assert.ok(accepted > 0, 'some mutated deliveries are still valid and accepted');
});

test('deeply nested JSON just under 1 MiB is answered, not a stack overflow', async () => {
  const depth = 200_000;
  const nestedArray = await checkDelivery(`${'['.repeat(depth)}${']'.repeat(depth)}`);
  assert.equal(nestedArray.status, 400);
  const nestedObject = await checkDelivery(`${'{"a":'.repeat(depth / 2)}1${'}'.repeat(depth / 2)}`);
  assert.equal(nestedObject.status, 400);
  // Deep junk in an unknown field does not stop a valid ticket.
  const unknownDeep = `{"ticket_id":"deep-1","subject":"s","content":"b","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  assert.equal((await checkDelivery(unknownDeep)).body.status, 'accepted');
});
