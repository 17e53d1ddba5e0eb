import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeCrmTicket } from '../../../src/domain/normalize.ts';
import { sanitizeRequestId } from '../../../src/http/request-id.ts';

const ctx = { receivedAt: '2026-11-25T12:00:00.000Z', requestId: 'req-1' };

describe('CRM ticket (worker enrichment)', () => {
  test('ticket + contact from the CRM API', () => {
    const result = normalizeCrmTicket(
      {
        id: '9001',
        properties: {
          subject: 'API returns 500',
          content: 'Since this morning every call fails.',
          hs_pipeline: '0',
          hs_ticket_priority: null,
          hs_object_id: '9001',
        },
      },
      { id: '51', properties: { email: 'dev@corp.io', firstname: 'Dev', lastname: null, company: 'Corp' } },
      { portalId: '62515', receivedAt: ctx.receivedAt, requestId: 'req-2' },
    );
    assert.deepEqual(result, {
      ok: true,
      value: {
        ticket_id: '9001',
        subject: 'API returns 500',
        body: 'Since this morning every call fails.',
        from_email: 'dev@corp.io',
        customer_name: 'Dev',
        customer_tier: null,
        product_area: null,
        hubspot_ticket_url: 'https://app.hubspot.com/contacts/62515/record/0-5/9001',
        portal_id: '62515',
        received_at: ctx.receivedAt,
        request_id: 'req-2',
      },
    });
  });

  test('no contact and no portal; a ticket without content is a field error', () => {
    const ok = normalizeCrmTicket(
      { id: '1', properties: { subject: 'S', content: 'B', customer_tier: 'GOLD' } },
      null,
      {
        portalId: null,
        ...ctx,
      },
    );
    assert.equal(ok.ok && ok.value.from_email, null);
    assert.equal(ok.ok && ok.value.customer_tier, 'gold');
    assert.equal(ok.ok && ok.value.hubspot_ticket_url, null);
    const noContent = normalizeCrmTicket({ id: '1', properties: { subject: 'S', content: null } }, null, {
      portalId: null,
      ...ctx,
    });
    assert.deepEqual(noContent, {
      ok: false,
      error: { field: 'properties.content', reason: 'required', message: 'properties.content is required' },
    });
  });
});

describe('sanitizeRequestId', () => {
  const fresh = () => 'generated-uuid';
  test('keeps a sane id', () => {
    assert.equal(sanitizeRequestId('abc-123_X.y:z', fresh), 'abc-123_X.y:z');
    assert.equal(sanitizeRequestId('a'.repeat(128), fresh), 'a'.repeat(128));
  });
  test('replaces absent, empty, too long, odd characters, repeated headers', () => {
    for (const bad of [undefined, '', 'a'.repeat(129), 'has space', 'new\nline', '<script>', 'é', ['a', 'b']]) {
      assert.equal(sanitizeRequestId(bad, fresh), 'generated-uuid', JSON.stringify(bad));
    }
  });
  test('the default generator makes a UUID', () => {
    assert.match(sanitizeRequestId(undefined), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
