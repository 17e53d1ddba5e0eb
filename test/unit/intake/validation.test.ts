import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type DeliveryResult, parseDelivery } from '../../../src/domain/normalize.ts';

const ctx = { receivedAt: '2026-11-25T12:00:00.000Z', requestId: 'req-1' };

describe('validation errors', () => {
  const cases: Array<[name: string, body: unknown, field: string, reason: string]> = [
    ['string body', 'hello', '$', 'invalid_type'],
    ['null body', null, '$', 'invalid_type'],
    ['number body', 42, '$', 'invalid_type'],
    [
      'spec: missing subject',
      { objectId: 1, subscriptionType: 'ticket.creation', properties: { content: 'B' } },
      'properties.subject',
      'required',
    ],
    [
      'spec: whitespace subject',
      { objectId: 1, subscriptionType: 'x', properties: { subject: ' \n ', content: 'B' } },
      'properties.subject',
      'required',
    ],
    [
      'spec: missing content',
      { objectId: 1, subscriptionType: 'x', properties: { subject: 'S' } },
      'properties.content',
      'required',
    ],
    [
      'spec: subject is an array',
      { objectId: 1, subscriptionType: 'x', properties: { subject: ['S'], content: 'B' } },
      'properties.subject',
      'invalid_type',
    ],
    [
      'spec: subject is boolean',
      { objectId: 1, subscriptionType: 'x', properties: { subject: true, content: 'B' } },
      'properties.subject',
      'invalid_type',
    ],
    [
      'spec: no id anywhere',
      { subscriptionType: 'x', properties: { subject: 'S', content: 'B' } },
      'objectId',
      'required',
    ],
    [
      'spec: fractional objectId',
      { objectId: 1.5, subscriptionType: 'x', properties: { subject: 'S', content: 'B' } },
      'objectId',
      'invalid_format',
    ],
    [
      'spec: negative objectId',
      { objectId: -3, subscriptionType: 'x', properties: { subject: 'S', content: 'B' } },
      'objectId',
      'invalid_format',
    ],
    [
      'spec: id with a slash',
      { objectId: '1/../2', subscriptionType: 'x', properties: { subject: 'S', content: 'B' } },
      'objectId',
      'invalid_format',
    ],
    [
      'spec: hs_ticket_id is an object',
      { objectId: 1, subscriptionType: 'x', properties: { hs_ticket_id: { a: 1 }, subject: 'S', content: 'B' } },
      'properties.hs_ticket_id',
      'invalid_type',
    ],
    [
      'spec: properties is a string',
      { objectId: 1, subscriptionType: 'x', properties: 'S' },
      'properties',
      'invalid_type',
    ],
    [
      'spec: customProperties is an array',
      { objectId: 1, customProperties: [], properties: { subject: 'S', content: 'B' } },
      'customProperties',
      'invalid_type',
    ],
    [
      'spec: customer_tier is an object',
      { objectId: 1, customProperties: { customer_tier: { x: 1 } }, properties: { subject: 'S', content: 'B' } },
      'customProperties.customer_tier',
      'invalid_type',
    ],
    [
      'spec: associatedContacts not an array',
      { objectId: 1, associatedContacts: {}, properties: { subject: 'S', content: 'B' } },
      'associatedContacts',
      'invalid_type',
    ],
    [
      'spec: first contact not an object',
      { objectId: 1, associatedContacts: ['a@b.c'], properties: { subject: 'S', content: 'B' } },
      'associatedContacts[0]',
      'invalid_type',
    ],
    [
      'spec: contact email is a number array',
      { objectId: 1, associatedContacts: [{ email: [1] }], properties: { subject: 'S', content: 'B' } },
      'associatedContacts[0].email',
      'invalid_type',
    ],
    [
      'workflow: {value} wrapper holding an object',
      { id: 1, properties: { subject: { value: { x: 1 } }, content: 'B' } },
      'properties.subject',
      'invalid_type',
    ],
    [
      'workflow: {value: null} subject',
      { id: 1, properties: { subject: { value: null }, content: 'B' } },
      'properties.subject',
      'required',
    ],
    [
      'workflow: portalId is an object',
      { id: 1, portalId: {}, properties: { subject: 'S', content: 'B' } },
      'portalId',
      'invalid_type',
    ],
    ['flat: no id', { subject: 'S', content: 'B' }, 'ticket_id', 'required'],
    ['flat: no body under any alias', { ticket_id: 1, subject: 'S' }, 'content', 'required'],
    ['flat: no subject', { ticket_id: 1, content: 'B' }, 'subject', 'required'],
    ['flat: empty object', {}, 'ticket_id', 'required'],
    ['flat: email is an object', { ticket_id: 1, subject: 'S', content: 'B', email: {} }, 'email', 'invalid_type'],
    [
      'flat: ticket id too long',
      { ticket_id: '9'.repeat(65), subject: 'S', content: 'B' },
      'ticket_id',
      'invalid_format',
    ],
    [
      'flat: portal id with spaces',
      { ticket_id: 1, subject: 'S', content: 'B', portal_id: '1 2' },
      'portal_id',
      'invalid_format',
    ],
  ];
  for (const [name, body, field, reason] of cases) {
    test(name, () => {
      const result = parseDelivery(body, ctx);
      assert.equal(result.kind, 'error', JSON.stringify(result));
      const error = (result as Extract<DeliveryResult, { kind: 'error' }>).error;
      assert.equal(error.field, field);
      assert.equal(error.reason, reason);
      assert.ok(error.message.length > 0);
    });
  }

  test('an error message never quotes the offending value', () => {
    const secretish = 'customer-secret-value@example.com';
    const result = parseDelivery({ ticket_id: 1, subject: 'S', content: 'B', portal_id: secretish }, ctx);
    assert.equal(result.kind, 'error');
    assert.ok(!JSON.stringify(result).includes(secretish));
  });
});
