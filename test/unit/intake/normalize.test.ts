import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type DeliveryResult,
  MAX_BODY_CHARS,
  MAX_SUBJECT_CHARS,
  parseDelivery,
} from '../../../src/domain/normalize.ts';
import type { NormalizedTicket } from '../../../src/domain/ticket.ts';

const ctx = { receivedAt: '2026-11-25T12:00:00.000Z', requestId: 'req-1' };

function ticketOf(result: DeliveryResult): NormalizedTicket {
  assert.equal(result.kind, 'ticket', `expected a ticket, got ${JSON.stringify(result)}`);
  return (result as Extract<DeliveryResult, { kind: 'ticket' }>).ticket;
}

describe('spec format', () => {
  test('the design documents example becomes the exact normalized ticket', () => {
    const body = {
      objectId: 12345,
      subscriptionType: 'ticket.creation',
      portalId: 62515,
      occurredAt: 1764072000000,
      properties: {
        hs_ticket_id: '12345',
        subject: '  Cannot log in after password reset ',
        content: '<p>Hi,</p>\n<p>I reset my password &amp; now <b>login fails</b>.</p>\n',
        hs_pipeline_stage: '1',
        hs_ticket_priority: 'HIGH',
        source_type: 'EMAIL',
      },
      associatedContacts: [
        { id: 901, email: ' jane@example.com ', firstname: 'Jane', lastname: 'Doe', company: 'Acme' },
        { id: 902, email: 'other@example.com', firstname: 'Other', lastname: 'Person' },
      ],
      customProperties: { customer_tier: 'Enterprise', product_area: 'Authentication', unknown_field: 'x' },
      somethingElse: { nested: true },
    };
    const result = parseDelivery(body, ctx);
    assert.equal(result.kind === 'ticket' && result.shape, 'spec');
    assert.deepEqual(ticketOf(result), {
      ticket_id: '12345',
      subject: 'Cannot log in after password reset',
      body: '<p>Hi,</p>\n<p>I reset my password &amp; now <b>login fails</b>.</p>',
      from_email: 'jane@example.com',
      customer_name: 'Jane Doe',
      customer_tier: 'enterprise',
      product_area: 'Authentication',
      hubspot_ticket_url: 'https://app.hubspot.com/contacts/62515/record/0-5/12345',
      portal_id: '62515',
      received_at: '2026-11-25T12:00:00.000Z',
      request_id: 'req-1',
    });
  });

  test('minimal: no contacts, no custom properties, blank optionals → nulls; objectId used without hs_ticket_id', () => {
    const body = {
      objectId: 777,
      subscriptionType: 'ticket.creation',
      properties: { hs_ticket_id: '   ', subject: 'Help', content: 'Body' },
      associatedContacts: [],
      customProperties: { customer_tier: '  ', product_area: '' },
    };
    assert.deepEqual(ticketOf(parseDelivery(body, ctx)), {
      ticket_id: '777',
      subject: 'Help',
      body: 'Body',
      from_email: null,
      customer_name: null,
      customer_tier: null,
      product_area: null,
      hubspot_ticket_url: null,
      portal_id: null,
      received_at: ctx.receivedAt,
      request_id: ctx.requestId,
    });
  });

  test('hs_ticket_id wins over objectId; a contact with only a last name', () => {
    const body = {
      objectId: 1,
      subscriptionType: 'ticket.creation',
      portalId: '99',
      properties: { hs_ticket_id: 2, subject: 'S', content: 'B' },
      associatedContacts: [{ lastname: 'Solo' }],
    };
    const ticket = ticketOf(parseDelivery(body, ctx));
    assert.equal(ticket.ticket_id, '2');
    assert.equal(ticket.customer_name, 'Solo');
    assert.equal(ticket.from_email, null);
    assert.equal(ticket.hubspot_ticket_url, 'https://app.hubspot.com/contacts/99/record/0-5/2');
  });
});

describe('workflow "all properties" body', () => {
  test('properties as {value, timestamp, source} objects, id from objectId', () => {
    const body = {
      objectId: 4242,
      portalId: 62515,
      properties: {
        subject: { value: 'Export is broken 📉', timestamp: 1764072000000, source: 'EMAIL', sourceId: null },
        content: { value: 'CSV export times out', timestamp: 1764072000000 },
        customer_tier: { value: 'PRO' },
        product_area: { value: 'Reporting' },
        hs_pipeline: { value: '0' },
      },
      isDeleted: false,
    };
    const result = parseDelivery(body, ctx);
    assert.equal(result.kind === 'ticket' && result.shape, 'workflow_object');
    assert.deepEqual(ticketOf(result), {
      ticket_id: '4242',
      subject: 'Export is broken 📉',
      body: 'CSV export times out',
      from_email: null,
      customer_name: null,
      customer_tier: 'pro',
      product_area: 'Reporting',
      hubspot_ticket_url: 'https://app.hubspot.com/contacts/62515/record/0-5/4242',
      portal_id: '62515',
      received_at: ctx.receivedAt,
      request_id: ctx.requestId,
    });
  });

  test('plain string properties, id only in properties.hs_object_id', () => {
    const body = { properties: { hs_object_id: '5150', subject: 'Subject', content: 'Content' } };
    assert.deepEqual(ticketOf(parseDelivery(body, ctx)), {
      ticket_id: '5150',
      subject: 'Subject',
      body: 'Content',
      from_email: null,
      customer_name: null,
      customer_tier: null,
      product_area: null,
      hubspot_ticket_url: null,
      portal_id: null,
      received_at: ctx.receivedAt,
      request_id: ctx.requestId,
    });
  });

  test('id from `id` (CRM object form) beats properties.hs_object_id', () => {
    const body = { id: '600', properties: { hs_object_id: '601', subject: 'S', content: 'B' } };
    assert.equal(ticketOf(parseDelivery(body, ctx)).ticket_id, '600');
  });
});

describe('workflow customized (flat) body', () => {
  test('canonical keys', () => {
    const body = {
      ticket_id: '31337',
      subject: 'Billing question',
      content: 'Why was I charged twice?',
      email: 'bob@example.org',
      firstname: 'Bob',
      lastname: ' Builder ',
      customer_tier: 'Free',
      product_area: 'Billing',
      portalId: 123,
      extra: 'ignored',
    };
    const result = parseDelivery(body, ctx);
    assert.equal(result.kind === 'ticket' && result.shape, 'workflow_flat');
    assert.deepEqual(ticketOf(result), {
      ticket_id: '31337',
      subject: 'Billing question',
      body: 'Why was I charged twice?',
      from_email: 'bob@example.org',
      customer_name: 'Bob Builder',
      customer_tier: 'free',
      product_area: 'Billing',
      hubspot_ticket_url: 'https://app.hubspot.com/contacts/123/record/0-5/31337',
      portal_id: '123',
      received_at: ctx.receivedAt,
      request_id: ctx.requestId,
    });
  });

  test('aliases: hs_object_id, body, from_email, customer_name, portal_id', () => {
    const body = {
      hs_object_id: 8,
      subject: 'S',
      body: 'the body',
      from_email: 'a@b.c',
      customer_name: '  Ada Lovelace ',
      firstname: 'Ignored',
      portal_id: '77',
    };
    assert.deepEqual(ticketOf(parseDelivery(body, ctx)), {
      ticket_id: '8',
      subject: 'S',
      body: 'the body',
      from_email: 'a@b.c',
      customer_name: 'Ada Lovelace',
      customer_tier: null,
      product_area: null,
      hubspot_ticket_url: 'https://app.hubspot.com/contacts/77/record/0-5/8',
      portal_id: '77',
      received_at: ctx.receivedAt,
      request_id: ctx.requestId,
    });
  });

  test('alias order: ticket_id before id, content before an empty body', () => {
    const ticket = ticketOf(parseDelivery({ id: 1, ticket_id: 2, subject: 'S', content: '', body: 'B' }, ctx));
    assert.equal(ticket.ticket_id, '2');
    assert.equal(ticket.body, 'B');
  });
});

describe('text is preserved exactly', () => {
  test('emoji, combining marks, RTL, CJK, HTML and inner whitespace survive; only the ends are trimmed', () => {
    const subject = 'Ünïcödé 🚀🔥 — 日本語 — שלום — e\u0301 — 👩‍👩‍👧‍👦';
    const content = '\t<div dir="rtl">مرحبا</div>\n\n  <script>alert(1)</script>  😀\u200b  \n';
    const ticket = ticketOf(parseDelivery({ ticket_id: 1, subject: ` ${subject} `, content }, ctx));
    assert.equal(ticket.subject, subject);
    assert.equal(ticket.body, '<div dir="rtl">مرحبا</div>\n\n  <script>alert(1)</script>  😀\u200b');
  });
});

describe('length limits count code points', () => {
  test(`subject of exactly ${MAX_SUBJECT_CHARS} emoji passes, one more fails`, () => {
    const ok = parseDelivery({ ticket_id: 1, subject: '😀'.repeat(MAX_SUBJECT_CHARS), content: 'B' }, ctx);
    assert.equal(ticketOf(ok).subject.length, MAX_SUBJECT_CHARS * 2, 'UTF-16 length is double');
    const tooLong = parseDelivery({ ticket_id: 1, subject: 'a'.repeat(MAX_SUBJECT_CHARS + 1), content: 'B' }, ctx);
    assert.deepEqual(tooLong, {
      kind: 'error',
      error: { field: 'subject', reason: 'too_long', message: 'subject exceeds 500 characters' },
    });
  });

  test(`body of ${MAX_BODY_CHARS} characters passes after trimming, one more fails`, () => {
    const ok = parseDelivery({ ticket_id: 1, subject: 'S', content: ` ${'x'.repeat(MAX_BODY_CHARS)} ` }, ctx);
    assert.equal(ticketOf(ok).body.length, MAX_BODY_CHARS);
    const tooLong = parseDelivery(
      { properties: { hs_object_id: 1, subject: 'S', content: 'é'.repeat(MAX_BODY_CHARS + 1) } },
      ctx,
    );
    assert.deepEqual(tooLong, {
      kind: 'error',
      error: {
        field: 'properties.content',
        reason: 'too_long',
        message: 'properties.content exceeds 100000 characters',
      },
    });
  });

  test('the alias that was used is named in a too_long error', () => {
    const result = parseDelivery({ ticket_id: 1, subject: 'S', body: 'x'.repeat(MAX_BODY_CHARS + 1) }, ctx);
    assert.equal(result.kind === 'error' && result.error.field, 'body');
  });
});
