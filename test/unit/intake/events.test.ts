import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseDelivery } from '../../../src/domain/normalize.ts';

const ctx = { receivedAt: '2026-11-25T12:00:00.000Z', requestId: 'req-1' };

function event(overrides: Record<string, unknown>) {
  return {
    eventId: 100,
    subscriptionId: 2001,
    portalId: 62515,
    appId: 3001,
    occurredAt: 1764072000000,
    subscriptionType: 'ticket.creation',
    attemptNumber: 0,
    objectId: 1,
    changeSource: 'CRM_UI',
    ...overrides,
  };
}

describe('Webhooks API batches', () => {
  test('a mix of ticket.creation, ticket.propertyChange, contact.creation and object.creation', () => {
    const body = [
      event({ eventId: 1, objectId: 5001 }),
      event({
        eventId: 2,
        objectId: 5001,
        subscriptionType: 'ticket.propertyChange',
        propertyName: 'hs_pipeline_stage',
        propertyValue: '2',
      }),
      event({ eventId: 3, objectId: 777, subscriptionType: 'contact.creation' }),
      event({ eventId: '4', objectId: '5002', subscriptionType: 'object.creation', objectTypeId: '0-5' }),
      event({ eventId: 5, objectId: 5003, subscriptionType: 'object.creation', objectTypeId: '0-1' }),
      event({ eventId: 6, objectId: 5004, occurredAt: undefined, portalId: undefined, changeFlag: 'NEW' }),
    ];
    assert.deepEqual(parseDelivery(body, ctx), {
      kind: 'events',
      shape: 'events',
      creations: [
        { ticket_id: '5001', portal_id: '62515', occurred_at: '2025-11-25T12:00:00.000Z', event_id: '1' },
        { ticket_id: '5002', portal_id: '62515', occurred_at: '2025-11-25T12:00:00.000Z', event_id: '4' },
        { ticket_id: '5004', portal_id: null, occurred_at: null, event_id: '6' },
      ],
      ignored: 3,
      duplicates: 0,
    });
  });

  test('an empty array is a valid delivery of nothing', () => {
    assert.deepEqual(parseDelivery([], ctx), {
      kind: 'events',
      shape: 'events',
      creations: [],
      ignored: 0,
      duplicates: 0,
    });
  });

  test('the same ticket twice in one batch is queued once (first occurrence kept)', () => {
    const body = [
      event({ eventId: 10, objectId: 42 }),
      event({ eventId: 11, objectId: '42', attemptNumber: 1 }),
      event({ eventId: 12, objectId: 42, subscriptionType: 'object.creation', objectTypeId: '0-5' }),
      event({ eventId: 13, objectId: 42, portalId: 999 }),
    ];
    const result = parseDelivery(body, ctx);
    assert.equal(result.kind, 'events');
    if (result.kind !== 'events') return;
    assert.deepEqual(
      result.creations.map((c) => [c.ticket_id, c.portal_id, c.event_id]),
      [
        ['42', '62515', '10'],
        ['42', '999', '13'],
      ],
      'a different portal is a different ticket',
    );
    assert.equal(result.duplicates, 2);
    assert.equal(result.ignored, 0);
  });

  test('a lone event object is treated as a batch of one', () => {
    assert.deepEqual(parseDelivery(event({ eventId: 7, objectId: 8 }), ctx), {
      kind: 'events',
      shape: 'single_event',
      creations: [{ ticket_id: '8', portal_id: '62515', occurred_at: '2025-11-25T12:00:00.000Z', event_id: '7' }],
      ignored: 0,
      duplicates: 0,
    });
  });

  test('an unusable eventId or occurredAt does not cost the ticket', () => {
    const result = parseDelivery([event({ eventId: { odd: true }, occurredAt: 'yesterday', objectId: 3 })], ctx);
    assert.deepEqual(result, {
      kind: 'events',
      shape: 'events',
      creations: [{ ticket_id: '3', portal_id: '62515', occurred_at: null, event_id: null }],
      ignored: 0,
      duplicates: 0,
    });
  });

  const invalid: Array<[name: string, body: unknown, field: string, reason: string]> = [
    ['element is not an object', [event({}), 'ticket.creation'], '[1]', 'invalid_type'],
    ['element is null', [null], '[0]', 'invalid_type'],
    ['element is an array', [[event({})]], '[0]', 'invalid_type'],
    ['subscriptionType missing', [{ objectId: 1 }], '[0].subscriptionType', 'required'],
    ['subscriptionType not a string', [{ objectId: 1, subscriptionType: 5 }], '[0].subscriptionType', 'invalid_type'],
    ['creation without objectId', [event({}), event({ objectId: undefined })], '[1].objectId', 'required'],
    ['creation with an object objectId', [event({ objectId: { id: 1 } })], '[0].objectId', 'invalid_type'],
    ['creation with a fractional objectId', [event({ objectId: 1.25 })], '[0].objectId', 'invalid_format'],
    ['creation with an odd portalId', [event({ portalId: 'a b' })], '[0].portalId', 'invalid_format'],
  ];
  for (const [name, body, field, reason] of invalid) {
    test(`invalid batch: ${name}`, () => {
      const result = parseDelivery(body, ctx);
      assert.equal(result.kind, 'error', JSON.stringify(result));
      if (result.kind !== 'error') return;
      assert.equal(result.error.field, field);
      assert.equal(result.error.reason, reason);
    });
  }

  test('a non-creation event needs no objectId', () => {
    const result = parseDelivery([{ subscriptionType: 'contact.deletion' }], ctx);
    assert.deepEqual(result, { kind: 'events', shape: 'events', creations: [], ignored: 1, duplicates: 0 });
  });
});

describe('parseDelivery is total', () => {
  const kinds = new Set(['ticket', 'events', 'error']);

  test('never throws on arbitrary JSON values and always returns one of the three kinds', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const result = parseDelivery(json, ctx);
        assert.ok(kinds.has(result.kind));
      }),
      { numRuns: 2000 },
    );
  });

  test('never throws on arbitrary values, including odd keys like __proto__ and constructor', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (value) => {
        assert.ok(kinds.has(parseDelivery(value, ctx).kind));
      }),
      { numRuns: 2000 },
    );
  });

  test('near-miss ticket bodies: every field drawn from a hostile value pool', () => {
    const hostile = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant({ value: 'x' }),
      fc.constant({ value: { value: 'x' } }),
      fc.array(fc.jsonValue(), { maxLength: 2 }),
      fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 2 }),
    );
    const keys = ['objectId', 'id', 'ticket_id', 'subject', 'content', 'body', 'email', 'portalId', 'portal_id'];
    const flat = fc.record(Object.fromEntries(keys.map((k) => [k, hostile])), { requiredKeys: [] });
    const shaped = fc.record(
      {
        objectId: hostile,
        subscriptionType: hostile,
        properties: fc.oneof(hostile, fc.record({ subject: hostile, content: hostile, hs_ticket_id: hostile })),
        associatedContacts: fc.oneof(hostile, fc.array(fc.oneof(hostile, fc.record({ email: hostile })))),
        customProperties: fc.oneof(hostile, fc.record({ customer_tier: hostile, product_area: hostile })),
      },
      { requiredKeys: [] },
    );
    const events = fc.array(
      fc.oneof(hostile, fc.record({ subscriptionType: hostile, objectId: hostile, objectTypeId: hostile })),
    );
    fc.assert(
      fc.property(fc.oneof(flat, shaped, events), (body) => {
        const result = parseDelivery(body, ctx);
        assert.ok(kinds.has(result.kind));
        if (result.kind === 'ticket') {
          // Whatever got through satisfies the contract's invariants.
          assert.ok(result.ticket.subject.length > 0 && result.ticket.subject === result.ticket.subject.trim());
          assert.ok(result.ticket.body.length > 0);
          assert.match(result.ticket.ticket_id, /^[A-Za-z0-9._-]{1,64}$/);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
