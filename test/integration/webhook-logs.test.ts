// What the intake writes to its log: one webhook.received and one outcome line (accepted, duplicate or rejected) per
// request, each with request_id and latency_ms (and ticket_id once known); and never the ticket text, the
// customer's email or a webhook token, whether it came in the query string, a header or the body.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTicketStore } from '../../src/db/ticket-store.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { TestDatabase } from '../helpers/db.ts';
import {
  createLogCapture,
  type IntakeApp,
  type PostOptions,
  postWebhook,
  specTicket,
  TOKEN,
  useIntakeApp,
  WEBHOOK_PATH,
} from '../helpers/intake.ts';

const EMAIL = 'very.private.person@customer-domain.example';
const BODY_TEXT = 'My account number is 4711-SECRET-0815 and my password reset link leaked';
const SUBJECT_TEXT = 'Confidential subject about Project Bluebird';
const WRONG_TOKEN = 'wrong-token-value-not-to-be-logged';

let tdb: TestDatabase;
let intake: IntakeApp;
const logs = createLogCapture();
useIntakeApp(
  {
    logger: createLogger({ level: 'info', destination: logs.stream }),
    unauthenticatedLimit: { max: 1, windowMs: 60_000 },
  },
  async (used) => {
    ({ tdb, intake } = used);
    await sendAll();
  },
);

function delivery(id: string, overrides: Record<string, unknown> = {}) {
  return specTicket(id, {
    properties: { hs_ticket_id: id, subject: SUBJECT_TEXT, content: BODY_TEXT },
    associatedContacts: [{ id: 'c1', email: EMAIL, firstname: 'Very', lastname: 'Private' }],
    ...overrides,
  });
}

const tokenInQuery = `${WEBHOOK_PATH}?token=${encodeURIComponent(TOKEN)}`;
const requests: Array<{
  id: string;
  body: unknown;
  options?: PostOptions;
  status: number;
  outcome: string;
  ticket?: string;
}> = [
  {
    id: 'log-accepted',
    body: delivery('301'),
    options: { token: false, path: tokenInQuery },
    status: 200,
    outcome: 'webhook.accepted',
    ticket: '301',
  },
  {
    id: 'log-queued-again',
    body: delivery('301'),
    options: { token: false, path: tokenInQuery },
    status: 200,
    outcome: 'webhook.accepted',
    ticket: '301',
  },
  { id: 'log-duplicate', body: delivery('303'), status: 200, outcome: 'webhook.duplicate', ticket: '303' },
  {
    id: 'log-invalid',
    body: delivery('304', { properties: { hs_ticket_id: '304', content: `${BODY_TEXT} ${EMAIL}` } }),
    status: 400,
    outcome: 'webhook.rejected',
  },
  {
    id: 'log-unauthorized',
    body: delivery('305'),
    options: {
      token: false,
      path: `${WEBHOOK_PATH}?token=${WRONG_TOKEN}`,
      headers: { 'x-webhook-token': `${WRONG_TOKEN}-header` },
    },
    status: 401,
    outcome: 'webhook.rejected',
  },
  {
    id: 'log-rate-limited',
    body: delivery('308'),
    options: { token: false, headers: { 'x-webhook-token': WRONG_TOKEN } },
    status: 429,
    outcome: 'webhook.rejected',
  },
  {
    id: 'log-bad-json',
    body: `{"content": "${BODY_TEXT}", "email": "${EMAIL}"`,
    status: 400,
    outcome: 'webhook.rejected',
  },
  {
    id: 'log-media-type',
    body: delivery('306'),
    options: { headers: { 'content-type': 'text/plain' } },
    status: 415,
    outcome: 'webhook.rejected',
  },
  {
    id: 'log-events',
    body: [{ eventId: 1, portalId: 62515, subscriptionType: 'ticket.creation', objectId: 307 }],
    status: 200,
    outcome: 'webhook.accepted',
  },
];

/** Sends every request in order, each with its own X-Request-ID so its lines can be told apart. */
async function sendAll() {
  await createTicketStore(tdb.db).markTicketProcessed({
    ticketId: '303',
    portalId: '62515',
    provider: 'rules',
    state: 'posted',
  });
  for (const request of requests) {
    const headers = { ...request.options?.headers, 'x-request-id': request.id };
    const response = await postWebhook(intake.url, request.body, { ...request.options, headers });
    assert.equal(response.status, request.status, `${request.id}: ${response.text}`);
  }
}

const OUTCOMES = new Set(['webhook.accepted', 'webhook.duplicate', 'webhook.rejected']);

test('one webhook.received and one outcome line per request, with request_id, ticket_id and latency_ms', () => {
  const records = logs.records();
  for (const request of requests) {
    const mine = records.filter((record) => record.request_id === request.id);
    const received = mine.filter((record) => record.msg === 'webhook.received');
    const outcomes = mine.filter((record) => OUTCOMES.has(String(record.msg)));
    assert.equal(received.length, 1, `${request.id}: one webhook.received in ${JSON.stringify(mine)}`);
    assert.equal(outcomes.length, 1, `${request.id}: one outcome line in ${JSON.stringify(mine)}`);
    const outcome = outcomes[0]!;
    assert.equal(outcome.msg, request.outcome, request.id);
    assert.equal(typeof outcome.latency_ms, 'number', `${request.id}: latency_ms in ${JSON.stringify(outcome)}`);
    assert.ok((outcome.latency_ms as number) >= 0);
    if (request.ticket) assert.equal(outcome.ticket_id, request.ticket, request.id);
    if (request.outcome === 'webhook.rejected') assert.equal(typeof outcome.reason, 'string', request.id);
  }
});

test('no line carries the ticket text, the customer email or a token (query string or header)', () => {
  const everything = logs.lines.join('\n');
  // Not vacuous: the deliveries above wrote their lines, and the ones that carried the secrets are among them.
  assert.ok(logs.lines.length >= 2 * requests.length, `only ${logs.lines.length} log lines`);
  assert.match(everything, /"msg":"webhook\.rejected"/);
  assert.match(everything, /"msg":"webhook\.accepted"/);
  for (const secret of [EMAIL, BODY_TEXT, '4711-SECRET-0815', SUBJECT_TEXT, 'Bluebird', TOKEN, WRONG_TOKEN]) {
    assert.ok(!everything.includes(secret), `the log must not contain ${secret}`);
  }
  assert.ok(!everything.includes(encodeURIComponent(TOKEN)));
  assert.ok(!everything.includes('customer-domain'), 'not even the email domain');
});
