// The dashboard: server-rendered pages at `/` (overview, tickets, one page per ticket, sign-in, a development-only
// sample form) with their own cookie, form and CSRF handling and security headers, all scoped to this plugin so the
// webhook and health routes stay as they are. Every route but the sign-in form and the static assets checks access
// first (access.ts); forms carry a CSRF token.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { FeedbackStore } from '../db/feedback-store.ts';
import type { RunStore } from '../db/run-store.ts';
import type { TicketStore } from '../db/ticket-store.ts';
import { forbidden, HttpError } from '../http/errors.ts';
import type { HealthReport } from '../observability/health.ts';
import { planReplay, type ReplayOutcome, replayTicket } from '../pipeline/replay.ts';
import { checkAccess } from './access.ts';
import { type Html, html } from './html.ts';
import { layout, type PageOptions } from './layout.ts';
import { parseFeedback } from './pages/feedback.ts';
import { loginPage, safeNext } from './pages/login.ts';
import { overviewPage, parseWindow, WINDOWS } from './pages/overview.ts';
import { runsSection } from './pages/runs-summary.ts';
import { samplePage } from './pages/sample.ts';
import { ticketKeyFromPath, ticketPage, ticketPath } from './pages/ticket.ts';
import { type ListQuery, parseListQuery, ticketsPage } from './pages/tickets.ts';
import { issueSession, SESSION_COOKIE, SESSION_TTL_MS } from './session.ts';
import { createStatsCache } from './stats-cache.ts';

export interface WebDeps {
  tickets: Pick<
    TicketStore,
    'getProcessingStats' | 'recentNotPosted' | 'findTicket' | 'listTickets' | 'knownStates' | 'requeue'
  >;
  runs: Pick<RunStore, 'recentRuns' | 'runsForTicket' | 'latestTicket' | 'runSummary'>;
  feedback: Pick<FeedbackStore, 'saveFeedback' | 'feedbackFor' | 'feedbackSummary'>;
  adminToken: string | null;
  development: boolean;
  /** Sends a ticket through the real webhook endpoint (development's sample form); absent, the form is off. */
  sendSample?: (ticket: { ticket_id: string; subject: string; content: string; customer_tier: string }) => Promise<{
    statusCode: number;
    body: string;
  }>;
  /** The /health report; its dependencies and warnings are the overview's Services section. */
  health?: () => Promise<HealthReport>;
  /** CLOUD_PRICE_PER_MILLION_TOKENS, for the overview's cost estimate; null when not set. */
  cloudPricePerMillionTokens?: number | null;
  now?: () => number;
}

const ASSETS: Record<string, { type: string; body: Buffer }> = {
  'app.css': { type: 'text/css; charset=utf-8', body: readAsset('app.css') },
  'app.js': { type: 'text/javascript; charset=utf-8', body: readAsset('app.js') },
};

function readAsset(name: string): Buffer {
  return readFileSync(new URL(`./assets/${name}`, import.meta.url));
}

const RECENT = 50;
const REFRESH_SECONDS = 30;
/**
 * Windows up to this long are counted on every request; the ticket counts and triage attempts of longer ones come from
 * the stats cache (stats-cache.ts), and the page says when they were counted.
 */
const LIVE_WINDOW_HOURS = 24;
const STATS_MAX_AGE_MS = 60_000;
const STATS_HARD_MAX_AGE_MS = 10 * 60_000;

export function webRoutes(deps: WebDeps): FastifyPluginAsync {
  const now = deps.now ?? Date.now;
  const unitOf = (hours: number) => (hours <= 24 ? 'hour' : 'day');
  const countWindow = async (since: Date, hours: number) => ({
    stats: await deps.tickets.getProcessingStats(since),
    runSummary: await deps.runs.runSummary(since, unitOf(hours)),
  });
  const windowCache = createStatsCache({
    load: countWindow,
    maxAgeMs: STATS_MAX_AGE_MS,
    hardMaxAgeMs: STATS_HARD_MAX_AGE_MS,
    now,
  });
  return async (app) => {
    await app.register(fastifyCookie);
    await app.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
    await app.register(fastifyCsrf, {
      cookieOpts: { path: '/', httpOnly: true, sameSite: 'strict', secure: 'auto' },
    });
    await app.register(fastifyHelmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
        },
      },
      // Tickets link to HubSpot; the referrer would carry our ticket URLs there.
      referrerPolicy: { policy: 'no-referrer' },
    });

    app.get('/assets/:name', async (request, reply) => {
      const asset = ASSETS[(request.params as { name: string }).name];
      if (!asset) throw new HttpError(404, 'not_found', 'No such asset');
      reply.header('content-type', asset.type).header('cache-control', 'public, max-age=300');
      return asset.body;
    });

    app.get('/login', async (request, reply) => {
      const next = safeNext((request.query as { next?: unknown }).next);
      if (!deps.adminToken) return reply.redirect(next, 303);
      return sendPage(reply, { title: 'Sign in' }, loginPage(reply.generateCsrf(), next));
    });

    app.post('/login', { preHandler: app.csrfProtection }, async (request, reply) => {
      const body = (request.body ?? {}) as { token?: unknown; next?: unknown };
      const next = safeNext(body.next);
      if (!deps.adminToken) return reply.redirect(next, 303);
      const token = typeof body.token === 'string' ? body.token : '';
      request.headers.authorization = `Bearer ${token}`;
      if (checkAccess(request, deps.adminToken, now()) !== 'allowed') {
        reply.code(401);
        return sendPage(
          reply,
          { title: 'Sign in' },
          loginPage(reply.generateCsrf(), next, 'That is not the admin token.'),
        );
      }
      reply.setCookie(SESSION_COOKIE, issueSession(deps.adminToken, now()), {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: 'auto',
        maxAge: SESSION_TTL_MS / 1000,
      });
      return reply.redirect(next, 303);
    });

    // Everything registered below needs access.
    await app.register(async (pages) => {
      pages.addHook('onRequest', async (request, reply) => guard(request, reply, deps.adminToken, now()));

      pages.post('/logout', { preHandler: pages.csrfProtection }, async (_request, reply) => {
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.redirect('/login', 303);
      });

      pages.get('/dashboard', async (_request, reply) => reply.redirect('/', 301));

      pages.get('/', async (request, reply) => {
        const window = parseWindow((request.query as { window?: unknown }).window);
        const hours = WINDOWS[window];
        const since = new Date(now() - hours * 3_600_000);
        const counted =
          hours > LIVE_WINDOW_HOURS
            ? await windowCache.get(hours)
            : { value: await countWindow(since, hours), at: null };
        const { stats, runSummary } = counted.value;
        const notPosted = await deps.tickets.recentNotPosted(RECENT);
        const runs = await deps.runs.recentRuns(RECENT);
        const feedback = await deps.feedback.feedbackSummary(since);
        const unit = unitOf(hours);
        const health = deps.health ? await deps.health() : null;
        return sendPage(
          reply,
          options(request, reply, { title: 'Overview', section: 'overview', refreshSeconds: REFRESH_SECONDS }),
          overviewPage(
            window,
            stats,
            notPosted,
            runs,
            feedback,
            health,
            runsSection(runSummary, unit, deps.cloudPricePerMillionTokens ?? null),
            counted.at,
          ),
        );
      });

      pages.get('/tickets', async (request, reply) => {
        const filter = parseListQuery(request.query as ListQuery);
        const rows = await deps.tickets.listTickets(filter);
        return sendPage(
          reply,
          options(request, reply, {
            title: 'Tickets',
            section: 'tickets',
            refreshSeconds: filter.after ? undefined : REFRESH_SECONDS,
          }),
          ticketsPage(filter, rows),
        );
      });

      pages.get('/tickets/:portal/:ticket', async (request, reply) => {
        const { portal, ticket } = request.params as { portal: string; ticket: string };
        return renderTicket(request, reply, ticketKeyFromPath(portal, ticket));
      });

      pages.post('/tickets/:portal/:ticket/replay', { preHandler: pages.csrfProtection }, async (request, reply) => {
        const { portal, ticket } = request.params as { portal: string; ticket: string };
        const key = ticketKeyFromPath(portal, ticket);
        const force = (request.body as { force?: unknown } | undefined)?.force === '1';
        const replayDeps = { tickets: deps.tickets, runs: deps.runs };
        const replayRequest = { ticketId: key.ticketId, portalId: key.portalId, force };
        const plan = await planReplay(replayDeps, replayRequest);
        const outcome: ReplayOutcome =
          plan.status === 'queue' ? await replayTicket(replayDeps, replayRequest, { plan }) : plan;
        request.log.info(
          { ticket_id: key.ticketId, portal_id: key.portalId, outcome: outcome.status },
          'dashboard.replay',
        );
        if (outcome.status !== 'queued') reply.code(409);
        return renderTicket(request, reply, key, replayNotice(outcome));
      });

      pages.post('/tickets/:portal/:ticket/feedback', { preHandler: pages.csrfProtection }, async (request, reply) => {
        const { portal, ticket } = request.params as { portal: string; ticket: string };
        const key = ticketKeyFromPath(portal, ticket);
        const fields = parseFeedback((request.body ?? {}) as Record<string, unknown>);
        const [run] = await deps.runs.runsForTicket(key, 1);
        if (!run) throw new HttpError(404, 'not_found', 'No run of this ticket to give feedback on');
        const output = run.output as { priority?: string } | null;
        await deps.feedback.saveFeedback({
          ...key,
          ...fields,
          runId: run.id,
          triagedPriority: output?.priority ?? null,
          triagedProvider: run.provider,
        });
        request.log.info(
          { ticket_id: key.ticketId, portal_id: key.portalId, useful: fields.useful },
          'dashboard.feedback',
        );
        return reply.redirect(`${ticketPath(key)}#feedback`, 303);
      });

      if (deps.development && deps.sendSample) {
        const send = deps.sendSample;
        pages.get('/sample', async (request, reply) =>
          sendPage(
            reply,
            options(request, reply, { title: 'Send a sample', section: 'sample' }),
            samplePage(reply.generateCsrf()),
          ),
        );
        pages.post('/sample', { preHandler: pages.csrfProtection }, async (request, reply) => {
          const body = (request.body ?? {}) as Record<string, unknown>;
          const ticketId = `sample-${randomBytes(4).toString('hex')}`;
          const result = await send({
            ticket_id: ticketId,
            subject: String(body.subject ?? ''),
            content: String(body.body ?? ''),
            customer_tier: String(body.tier ?? 'business'),
          });
          if (result.statusCode >= 300) {
            reply.code(result.statusCode);
            return sendPage(
              reply,
              options(request, reply, { title: 'Send a sample', section: 'sample' }),
              html`<p class="notice bad">The webhook answered ${result.statusCode}: ${result.body}</p>${samplePage(reply.generateCsrf())}`,
            );
          }
          return reply.redirect(ticketPath({ ticketId, portalId: null }), 303);
        });
      }
    });

    async function renderTicket(
      request: FastifyRequest,
      reply: FastifyReply,
      key: { ticketId: string; portalId: string | null },
      notice?: Html,
    ) {
      const row = await deps.tickets.findTicket(key);
      const runs = await deps.runs.runsForTicket(key);
      const feedback = await deps.feedback.feedbackFor(key);
      if (!row && runs.length === 0) reply.code(404);
      return sendPage(
        reply,
        options(request, reply, {
          title: `Ticket ${key.ticketId}`,
          section: 'tickets',
          refreshSeconds: REFRESH_SECONDS,
        }),
        ticketPage(key, row, runs, feedback, reply.generateCsrf(), notice),
      );
    }

    function options(request: FastifyRequest, reply: FastifyReply, base: PageOptions): PageOptions {
      const signedIn = Boolean(deps.adminToken && request.cookies[SESSION_COOKIE]);
      return {
        ...base,
        development: deps.development && Boolean(deps.sendSample),
        signedIn,
        csrf: signedIn ? reply.generateCsrf() : undefined,
      };
    }
  };
}

function sendPage(reply: FastifyReply, options: PageOptions, body: Html) {
  reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store');
  return layout(options, body);
}

/** Strangers get the sign-in form with a 401 (HTML) or a JSON 401 (anything else); without ADMIN_TOKEN, loopback only. */
async function guard(request: FastifyRequest, reply: FastifyReply, adminToken: string | null, now: number) {
  const verdict = checkAccess(request, adminToken, now);
  if (verdict === 'allowed') return;
  if (verdict === 'loopback_only')
    throw forbidden('The dashboard is only served to localhost until ADMIN_TOKEN is set');
  if (request.method === 'GET' && String(request.headers.accept ?? '').includes('text/html')) {
    reply.code(401).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store');
    return reply.send(layout({ title: 'Sign in' }, loginPage(reply.generateCsrf(), safeNext(request.url))));
  }
  throw new HttpError(401, 'unauthorized', 'Sign in at /login, or send ADMIN_TOKEN as a Bearer token', {
    headers: { 'www-authenticate': 'Bearer realm="hubspot-triage"' },
  });
}

function replayNotice(outcome: ReplayOutcome): Html {
  switch (outcome.status) {
    case 'queued':
      return html`<p class="notice">Queued again ${outcome.from === 'last_run' ? 'with the copy its last run saw' : 'to be fetched from HubSpot'}. This page refreshes itself.</p>`;
    case 'already_posted':
      return html`<p class="notice bad">Already posted; tick “post a second message” to post it again.</p>`;
    case 'in_progress':
      return html`<p class="notice bad">Being triaged right now; nothing queued.</p>`;
    case 'already_queued':
      return html`<p class="notice">Already queued; nothing to do.</p>`;
    case 'unknown':
      return html`<p class="notice bad">Never seen here; nothing queued.</p>`;
    case 'ambiguous':
      return html`<p class="notice bad">Known under several portals; nothing queued.</p>`;
  }
}
