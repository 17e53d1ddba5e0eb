// The dashboard through the real app (buildApp with the webhook and the dashboard over a test database): access with
// and without ADMIN_TOKEN, sign-in, CSRF on every form, security headers, escaping of customer text, the ticket page
// (why, preview, attempts), replay from the page and the development sample form going through the real webhook.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createFeedbackStore } from '../../src/db/feedback-store.ts';
import { createRunStore } from '../../src/db/run-store.ts';
import { createTicketStore } from '../../src/db/ticket-store.ts';
import { exportFeedback } from '../../src/web/export-feedback.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { type IntakeApp, startIntakeApp } from '../helpers/intake.ts';

const ADMIN = 'dashboard-secret-0123456789';
const HTML = { accept: 'text/html' };

let tdb: TestDatabase;
let open: IntakeApp; // development, no ADMIN_TOKEN
let locked: IntakeApp; // production: ADMIN_TOKEN set (required there)

before(async () => {
  tdb = await createTestDatabase();
  const store = createTicketStore(tdb.db);
  await store.claimTicket({ ticketId: 'd-ok', portalId: '77' }, 'w', 60_000);
  await store.markTicketProcessed({ ticketId: 'd-ok', portalId: '77', provider: 'groq', state: 'posted', owner: 'w' });
  await store.claimTicket({ ticketId: 'd-fail', portalId: '77' }, 'w', 60_000);
  await store.markTicketProcessed({
    ticketId: 'd-fail',
    portalId: '77',
    provider: 'groq',
    state: 'posted_as_failure',
    owner: 'w',
  });
  await store.claimTicket({ ticketId: 'd-bad', portalId: null }, 'w', 60_000);
  await store.markTicketProcessed({
    ticketId: 'd-bad',
    portalId: null,
    provider: null,
    state: 'not_posted',
    owner: 'w',
    error: 'discord_config: <script>alert(1)</script>',
  });
  const ticket = {
    ticket_id: 'd-ok',
    subject: 'Export <img src=x onerror=alert(1)>',
    body: 'The export button does nothing. @everyone',
    from_email: 'lead@example.com',
    customer_name: 'Ada Example',
    customer_tier: 'enterprise',
    product_area: null,
    hubspot_ticket_url: null,
    portal_id: '77',
    received_at: '2026-12-01T10:00:00.000Z',
    request_id: 'r1',
  };
  const output = {
    priority: 'high',
    handling_mode: 'reply_and_internal_followup',
    recommended_internal_action: 'Create bug report',
    asana_ticket_type_if_needed: 'Bug',
    customer_summary: 'Export button broken',
    reply_needed: true,
    reply_draft: 'Thanks, we are looking into it.',
    questions_for_customer: ['Which browser?'],
    internal_notes: [],
    confidence: 0.8,
  };
  const notification = {
    content: '',
    embeds: [
      {
        title: 'HIGH · Export broken',
        description: 'Summary',
        fields: [{ name: 'Action', value: 'Create bug report' }],
      },
    ],
    allowed_mentions: { parse: [] },
  };
  const timings = {
    queueWaitMs: 4,
    enrichmentMs: null,
    providers: [
      { provider: 'local', outcome: 'failed', latencyMs: 10013 },
      { provider: 'groq', outcome: 'ok', latencyMs: 812 },
    ],
    notifyMs: 90,
    totalMs: 10920.4,
  };
  // Through the run store, which also copies the run's priority and subject onto the ticket's row for the list
  // and adds it to the hourly stats the overview reads.
  await createRunStore(tdb.db).recordRun({
    ticketId: 'd-ok',
    portalId: '77',
    requestId: 'r1',
    attempt: 1,
    status: 'posted',
    provider: 'groq',
    model: 'openai/gpt-oss-120b',
    timings,
    output,
    ticket,
    notification,
    fallbackReasons: [{ provider: 'local', reason: 'timeout' }],
    repaired: true,
    guardInterventions: [{ kind: 'promised_timeline', detail: 'removed "within 24 hours"' }],
    promptTokens: 900,
    completionTokens: 120,
  });
  open = await startIntakeApp(tdb, { dashboard: true });
  locked = await startIntakeApp(tdb, {
    dashboard: true,
    config: { ...loadConfig({}), env: 'production', adminToken: ADMIN },
  });
});
after(async () => {
  await open?.close();
  await locked?.close();
  await tdb.drop();
});

const bearer = { authorization: `Bearer ${ADMIN}` };

test('without ADMIN_TOKEN the dashboard and /metrics are served to loopback only', async () => {
  const page = await open.app.inject({ url: '/' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(page.body, /<div class="n">3<\/div><div class="l">tickets received/);
  // Honest success rate: a posted TRIAGE FAILED message and a ticket never posted both count against it.
  assert.match(page.body, /<div class="n">1<\/div><div class="l">posted<\/div>/);
  assert.match(page.body, /<div class="n">1<\/div><div class="l">posted_as_failure<\/div>/);
  assert.match(page.body, /<div class="n">1<\/div><div class="l">not_posted<\/div>/);
  assert.match(page.body, /<div class="n">33\.3 %<\/div><div class="l">success rate/);
  assert.match(page.body, /<h2>Ticket states<\/h2>/);
  // Attempts of the window: the one run (groq, after local timed out, repaired, one guard intervention, 10.9 s).
  assert.match(page.body, /<div class="n">1<\/div><div class="l">attempts<\/div>/);
  assert.match(page.body, /<div class="n">100 %<\/div><div class="l">answered by cloud<\/div>/);
  assert.match(page.body, /<div class="n">100 %<\/div><div class="l">fell back<\/div>/);
  assert.match(page.body, /<div class="n">100 %<\/div><div class="l">repaired<\/div>/);
  assert.match(page.body, /<div class="n">≤ 12 s<\/div><div class="l">latency p95<\/div>/);
  assert.match(page.body, /<div class="n">1,020<\/div><div class="l">cloud tokens<\/div>/);
  assert.match(page.body, /local timed out: 1/);
  assert.match(page.body, /<svg class="chart"/);
  // Services: the /health report's parts, with the queue depth.
  assert.match(page.body, /<h2>Services<\/h2>/);
  assert.match(
    page.body,
    /<td>queue<\/td><td><span class="tag [^"]*">[a-z]+<\/span><\/td><td>\d+ staged, \d+ waiting or retrying/,
  );
  assert.match(page.body, /href="\/tickets\/77\/d-ok"/);
  assert.match(page.body, /openai\/gpt-oss-120b/);
  assert.ok(page.body.includes('&#60;script&#62;alert(1)&#60;/script&#62;'));
  assert.ok(!page.body.includes('<script>alert'));
  for (const url of ['/', '/tickets/77/d-ok', '/metrics']) {
    const remote = await open.app.inject({ url, remoteAddress: '10.1.2.3' });
    assert.equal(remote.statusCode, 403, url);
  }
  assert.equal((await open.app.inject({ url: '/metrics' })).statusCode, 200);
  assert.equal((await open.app.inject({ url: '/dashboard' })).headers.location, '/');
});

test('production: every dashboard, form and metrics route answers 401 to a stranger', async () => {
  const routes: [string, string][] = [
    ['GET', '/'],
    ['GET', '/?window=30d'],
    ['GET', '/dashboard'],
    ['GET', '/tickets/77/d-ok'],
    ['GET', '/tickets/_/d-bad'],
    ['GET', '/metrics'],
    ['POST', '/tickets/77/d-ok/replay'],
    ['POST', '/logout'],
  ];
  for (const [method, url] of routes) {
    const response = await locked.app.inject({ method: method as 'GET', url, remoteAddress: '127.0.0.1' });
    assert.equal(response.statusCode, 401, `${method} ${url}`);
    assert.ok(!response.body.includes('d-ok') || url.includes('d-ok'), `${url} leaks nothing`);
    assert.ok(!response.body.includes('openai'), `${method} ${url} shows no run data`);
  }
  // A browser gets the sign-in form with the 401; the page it asked for is where it returns.
  const browser = await locked.app.inject({ url: '/tickets/77/d-ok', headers: HTML });
  assert.equal(browser.statusCode, 401);
  assert.match(browser.body, /<form method="post" action="\/login">/);
  assert.match(browser.body, /name="next" value="\/tickets\/77\/d-ok"/);
  // Wrong credentials are refused the same way.
  const wrong = await locked.app.inject({ url: '/', headers: { authorization: 'Bearer not-the-token-at-all' } });
  assert.equal(wrong.statusCode, 401);
  // The token as a Bearer token (scripts, Prometheus) works everywhere.
  assert.equal((await locked.app.inject({ url: '/', headers: bearer, remoteAddress: '10.1.2.3' })).statusCode, 200);
  assert.equal((await locked.app.inject({ url: '/metrics', headers: bearer })).statusCode, 200);
});

/** GET /login: the CSRF cookie and the token its form carries. */
async function loginForm(app: IntakeApp) {
  const form = await app.app.inject({ url: '/login?next=/tickets/77/d-ok' });
  assert.equal(form.statusCode, 200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
  const cookie = form.cookies.find((c) => c.name === '_csrf');
  assert.ok(csrf && cookie, 'the form carries a CSRF token and sets its cookie');
  return { csrf, cookie: `_csrf=${cookie.value}` };
}

function post(app: IntakeApp, url: string, cookie: string, fields: Record<string, string>) {
  return app.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    payload: new URLSearchParams(fields).toString(),
  });
}

async function signIn(app: IntakeApp) {
  const { csrf, cookie } = await loginForm(app);
  const response = await post(app, '/login', cookie, { _csrf: csrf, token: ADMIN, next: '/tickets/77/d-ok' });
  const session = response.cookies.find((c) => c.name === 'triage_session');
  assert.ok(session);
  return { csrf, cookie: `${cookie}; triage_session=${session.value}`, response, session };
}

test('signing in sets an HttpOnly, SameSite=Strict cookie; the form needs its CSRF token and the right token', async () => {
  const { csrf, cookie } = await loginForm(locked);
  const noCsrf = await post(locked, '/login', cookie, { token: ADMIN });
  assert.equal(noCsrf.statusCode, 403);
  assert.equal(noCsrf.json().error, 'csrf_token_invalid');
  const forged = await post(locked, '/login', '', { _csrf: csrf, token: ADMIN });
  assert.equal(forged.statusCode, 403, 'a token without its cookie (another site) is refused');
  const wrongToken = await post(locked, '/login', cookie, { _csrf: csrf, token: 'not-the-admin-token' });
  assert.equal(wrongToken.statusCode, 401);
  assert.match(wrongToken.body, /not the admin token/);
  assert.equal(
    wrongToken.cookies.find((c) => c.name === 'triage_session'),
    undefined,
  );

  const { response, session, cookie: signedIn } = await signIn(locked);
  assert.equal(response.statusCode, 303);
  assert.equal(response.headers.location, '/tickets/77/d-ok');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  const page = await locked.app.inject({ url: '/', headers: { cookie: signedIn } });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Sign out/);
  // A session cookie signed with another token does not open anything.
  const forgedSession = await locked.app.inject({
    url: '/',
    headers: { cookie: `triage_session=${Date.now() + 60_000}.AAAA` },
  });
  assert.equal(forgedSession.statusCode, 401);
  // An open redirect is not possible through `next`.
  const offsite = await post(locked, '/login', cookie, { _csrf: csrf, token: ADMIN, next: '//evil.example.com/' });
  assert.equal(offsite.headers.location, '/');
});

test('pages carry security headers and never render customer text as markup', async () => {
  const page = await locked.app.inject({ url: '/tickets/77/d-ok', headers: bearer });
  assert.equal(page.statusCode, 200);
  const csp = String(page.headers['content-security-policy']);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.equal(page.headers['referrer-policy'], 'no-referrer');
  assert.equal(page.headers['cache-control'], 'no-store');
  assert.ok(page.body.includes('Export &#60;img src=x onerror=alert(1)&#62;'));
  assert.ok(!page.body.includes('<img'));
  const asset = await locked.app.inject({ url: '/assets/app.js' });
  assert.equal(asset.statusCode, 200, 'assets need no sign-in');
  assert.match(String(asset.headers['content-type']), /javascript/);
});

test('the ticket page shows the output, why (chain, fallback reason, repair, guard), the message preview and attempts', async () => {
  const page = await locked.app.inject({ url: '/tickets/77/d-ok', headers: bearer });
  assert.equal(page.statusCode, 200);
  for (const expected of [
    /<span class="tag">high<\/span>/,
    /Create bug report/,
    /local: failed <span class="muted">10013 ms<\/span> → groq: ok/,
    /local timed out/,
    /<span class="tag">repaired<\/span>/,
    /promised_timeline<\/b>: removed &#34;within 24 hours&#34;/,
    /<h3>HIGH · Export broken<\/h3>/,
    /Which browser\?/,
    /900 in, 120 out/,
    /The export button does nothing\. @everyone/,
    /href="https:\/\/app\.hubspot\.com\/contacts\/77\/record\/0-5\/d-ok"/,
  ]) {
    assert.match(page.body, expected);
  }
  const missing = await locked.app.inject({ url: '/tickets/77/nope', headers: bearer });
  assert.equal(missing.statusCode, 404);
});

test('replay from the ticket page needs the CSRF token and queues a ticket that was not posted', async () => {
  const { cookie } = await signIn(locked);
  const ticketPage = await locked.app.inject({ url: '/tickets/_/d-bad', headers: { cookie } });
  const csrf = /action="\/tickets\/_\/d-bad\/replay">\s*<input type="hidden" name="_csrf" value="([^"]+)"/.exec(
    ticketPage.body,
  )?.[1];
  assert.ok(csrf);
  const without = await post(locked, '/tickets/_/d-bad/replay', cookie, {});
  assert.equal(without.statusCode, 403);
  const status = async () =>
    (await tdb.pool.query(`select status from processed_tickets where ticket_id = 'd-bad'`)).rows[0]?.status;
  assert.equal(await status(), 'not_posted');
  const replayed = await post(locked, '/tickets/_/d-bad/replay', cookie, { _csrf: csrf });
  assert.equal(replayed.statusCode, 200);
  assert.match(replayed.body, /Queued again/);
  assert.equal(await status(), 'queued');
  // A posted ticket is only posted again when asked to.
  const posted = await post(locked, '/tickets/77/d-ok/replay', cookie, { _csrf: csrf });
  assert.equal(posted.statusCode, 409);
  assert.match(posted.body, /Already posted/);
});

test('development: the sample form sends a ticket through the real webhook endpoint', async () => {
  const form = await open.app.inject({ url: '/sample' });
  assert.equal(form.statusCode, 200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
  const cookie = form.cookies.find((c) => c.name === '_csrf');
  assert.ok(csrf && cookie);
  const sent = await post(open, '/sample', `_csrf=${cookie.value}`, {
    _csrf: csrf,
    subject: 'Sample subject',
    body: 'Sample body',
    tier: 'pro',
  });
  assert.equal(sent.statusCode, 303);
  const ticketId = /^\/tickets\/_\/(sample-[0-9a-f]{8})$/.exec(String(sent.headers.location))?.[1];
  assert.ok(ticketId, String(sent.headers.location));
  const { rows } = await tdb.pool.query(`select status from processed_tickets where ticket_id = $1`, [ticketId]);
  assert.equal(rows[0]?.status, 'queued');
  // Production has no such form.
  assert.equal((await locked.app.inject({ url: '/sample', headers: bearer })).statusCode, 404);
});

test('the ticket list searches by id or subject, filters, and pages with a keyset link', async () => {
  const store = createTicketStore(tdb.db);
  for (let i = 0; i < 55; i++) {
    await store.claimTicket({ ticketId: `list-${i}`, portalId: '88' }, 'w', 60_000);
    await store.markTicketProcessed({
      ticketId: `list-${i}`,
      portalId: '88',
      provider: 'rules',
      state: 'posted',
      owner: 'w',
    });
  }
  const first = await locked.app.inject({ url: '/tickets?provider=rules', headers: bearer });
  assert.equal(first.statusCode, 200);
  const firstIds = [...first.body.matchAll(/>(list-\d+)<\/a>/g)].map((m) => m[1]);
  assert.equal(firstIds.length, 50);
  const older = /href="(\/tickets\?provider=rules&#38;after=[^"]+)">Older/.exec(first.body)?.[1];
  assert.ok(older, 'a link to older tickets');
  const second = await locked.app.inject({ url: older.replaceAll('&#38;', '&'), headers: bearer });
  const secondIds = [...second.body.matchAll(/>(list-\d+)<\/a>/g)].map((m) => m[1]);
  assert.equal(secondIds.length, 5);
  assert.equal(new Set([...firstIds, ...secondIds]).size, 55, 'no ticket twice, none missing');
  assert.ok(!second.body.includes('Older →'));

  const bySubject = await locked.app.inject({ url: '/tickets?q=export', headers: bearer });
  assert.match(bySubject.body, />d-ok<\/a>/);
  assert.ok(!bySubject.body.includes('list-'));
  const byId = await locked.app.inject({ url: '/tickets?q=list-7', headers: bearer });
  assert.deepEqual(
    [...byId.body.matchAll(/>(list-\d+)<\/a>/g)].map((m) => m[1]),
    ['list-7'],
  );
  const byPriority = await locked.app.inject({ url: '/tickets?priority=high', headers: bearer });
  assert.deepEqual(
    [...byPriority.body.matchAll(/>((?:d|list)-[\w-]+)<\/a>/g)].map((m) => m[1]),
    ['d-ok'],
  );
  const bad = await locked.app.inject({ url: '/tickets?priority=urgent', headers: bearer });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().details.field, 'priority');
});

test('feedback on a ticket: validated, saved once per ticket, and counted on the overview', async () => {
  const { cookie } = await signIn(locked);
  const page = await locked.app.inject({ url: '/tickets/77/d-ok', headers: { cookie } });
  const csrf = /action="\/tickets\/77\/d-ok\/feedback"[^>]*>\s*<input type="hidden" name="_csrf" value="([^"]+)"/.exec(
    page.body,
  )?.[1];
  assert.ok(csrf, 'the ticket page has a feedback form');
  assert.match(page.body, /Did you use the reply draft\?/);

  const without = await post(locked, '/tickets/77/d-ok/feedback', cookie, { useful: 'yes' });
  assert.equal(without.statusCode, 403);
  const bad = await post(locked, '/tickets/77/d-ok/feedback', cookie, {
    _csrf: csrf,
    useful: 'yes',
    priority: 'urgent',
  });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().details.field, 'priority');
  const noAnswer = await post(locked, '/tickets/77/d-ok/feedback', cookie, { _csrf: csrf });
  assert.equal(noAnswer.json().details.field, 'useful');

  const first = await post(locked, '/tickets/77/d-ok/feedback', cookie, {
    _csrf: csrf,
    useful: 'no',
    priority: 'medium',
    draft: 'no',
    note: 'Not <b>that</b> urgent',
  });
  assert.equal(first.statusCode, 303);
  const second = await post(locked, '/tickets/77/d-ok/feedback', cookie, {
    _csrf: csrf,
    useful: 'yes',
    priority: 'high',
    draft: 'yes',
    note: 'Right call',
  });
  assert.equal(second.statusCode, 303);
  const { rows } = await tdb.pool.query(
    `select useful, chosen_priority, triaged_priority, triaged_provider, draft_used, note, run_id is not null as has_run
       from ticket_feedback where ticket_id = 'd-ok'`,
  );
  assert.deepEqual(rows, [
    {
      useful: true,
      chosen_priority: 'high',
      triaged_priority: 'high',
      triaged_provider: 'groq',
      draft_used: true,
      note: 'Right call',
      has_run: true,
    },
  ]);
  const overview = await locked.app.inject({ url: '/', headers: { cookie } });
  assert.match(overview.body, /<div class="n">1<\/div><div class="l">tickets with feedback/);
  assert.match(overview.body, /<div class="n">100 %<\/div><div class="l">useful \(acceptance\)/);
  assert.match(overview.body, /<div class="n">100 %<\/div><div class="l">priority agreement/);
  const again = await locked.app.inject({ url: '/tickets/77/d-ok', headers: { cookie } });
  assert.match(again.body, /Saved useful, would have chosen high/);

  // `triage export-feedback`: a candidate line for the evaluation set, labelled by the answer, no address.
  const lines: string[] = [];
  const counts = await exportFeedback(createFeedbackStore(tdb.db), new Date(0), (line) => lines.push(line));
  assert.deepEqual(counts, { exported: 1, skipped: 0 });
  const line = JSON.parse(lines[0]!);
  assert.deepEqual(Object.keys(line), ['id', 'split', 'kind', 'ticket', 'labels', 'note']);
  assert.equal(line.kind, 'bug');
  assert.equal(line.ticket.subject, 'Export <img src=x onerror=alert(1)>');
  assert.equal(line.ticket.from_email, null);
  assert.deepEqual(line.labels, {
    priorities: ['high'],
    handling_modes: ['reply_and_internal_followup'],
    internal_actions: ['Create bug report'],
    security: false,
  });
  assert.match(line.note, /Their note: Right call/);
});

test('the overview says when its 7 d and 30 d counts were taken; the 24 h counts are live', async () => {
  const day = await locked.app.inject({ url: '/', headers: bearer });
  assert.equal(day.statusCode, 200);
  assert.ok(!day.body.includes('were counted <time'), '24 h is counted for the page');
  for (const window of ['7d', '30d']) {
    const page = await locked.app.inject({ url: `/?window=${window}`, headers: bearer });
    assert.equal(page.statusCode, 200);
    assert.match(
      page.body,
      new RegExp(`triage attempts below were counted <time datetime="[^"]+Z"[^>]*>[^<]+</time> \\(a ${window} window`),
    );
  }
});
