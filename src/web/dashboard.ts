// GET /dashboard: one server-rendered page for the support lead: the last 24 hours' tickets by state (the words of
// domain/states.ts), the tickets not posted (a person must act) and the most recent runs. It shows identifiers and outcomes only (no ticket text), escapes everything it prints, and needs
// ADMIN_TOKEN (HTTP Basic password or Bearer) whenever one is set; without one it answers only loopback clients.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { RunStore } from '../db/run-store.ts';
import type { TicketStore } from '../db/ticket-store.ts';
import { RUN_OUTCOMES, STATE_GUIDE, SUCCESS_RATE_RULE, TICKET_STATES } from '../domain/states.ts';
import { hubspotTicketUrl } from '../domain/ticket.ts';
import { forbidden, HttpError } from '../http/errors.ts';
import { equalsSecret } from '../intake/auth.ts';

export interface DashboardDeps {
  tickets: Pick<TicketStore, 'getProcessingStats' | 'recentNotPosted'>;
  runs: Pick<RunStore, 'recentRuns'>;
  adminToken: string | null;
  now?: () => number;
}

const RECENT_RUNS = 50;

export function dashboardRoutes(deps: DashboardDeps): FastifyPluginAsync {
  const now = deps.now ?? Date.now;
  return async (app) => {
    app.get('/dashboard', async (request, reply) => {
      authorize(request, deps.adminToken);
      const stats = await deps.tickets.getProcessingStats(new Date(now() - 86_400_000));
      const runs = await deps.runs.recentRuns(RECENT_RUNS);
      const notPosted = await deps.tickets.recentNotPosted(RECENT_RUNS);

      reply.header('content-type', 'text/html; charset=utf-8');
      reply.header('cache-control', 'no-store');
      reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
      return page([
        '<h1>hubspot-triage</h1>',
        '<h2>Last 24 hours</h2>',
        table(
          ['tickets', ...RUN_OUTCOMES, 'in progress', 'duplicates', 'success rate', 'posted by provider'],
          [
            [
              stats.total,
              ...RUN_OUTCOMES.map((state) => stats.states[state]),
              stats.in_progress,
              stats.duplicates,
              stats.success_rate === null ? 'n/a' : `${(stats.success_rate * 100).toFixed(1)}%`,
              Object.entries(stats.posted_by_provider)
                .map(([provider, n]) => `${provider}: ${n}`)
                .join(', ') || 'none',
            ].map(String),
          ],
        ),
        `<p>${escapeHtml(SUCCESS_RATE_RULE)}.</p>`,
        `<h2>Not posted: needs a person (${notPosted.length})</h2>`,
        notPosted.length === 0
          ? '<p>None. A not_posted ticket is queued again with <code>triage replay &lt;ticket_id&gt;</code>.</p>'
          : table(
              ['ticket', 'attempts', 'last error', 'updated'],
              notPosted.map((row) => [
                ticketLink(row.ticketId, row.portalId),
                String(row.attempts),
                (row.lastError ?? '').slice(0, 200),
                row.updatedAt.toISOString(),
              ]),
              { trusted: [0] },
            ),
        '<h2>Recent runs</h2>',
        '<p>One row per attempt; an attempt that was retried is <code>not_posted</code> even when a later one posted.</p>',
        table(
          ['when', 'ticket', 'attempt', 'outcome', 'priority', 'provider', 'model', 'repaired', 'error', 'total ms'],
          runs.map((run) => [
            run.createdAt.toISOString(),
            ticketLink(run.ticketId, run.portalId),
            String(run.attempt),
            run.status,
            run.priority ?? '',
            run.provider ?? '',
            run.model ?? '',
            run.repaired ? 'yes' : '',
            run.errorClass ?? '',
            run.totalMs === null ? '' : run.totalMs.toFixed(0),
          ]),
          { trusted: [1] },
        ),
        '<h2>Ticket states</h2>',
        table(
          ['state', 'meaning', 'what to do'],
          TICKET_STATES.map((state) => [state, STATE_GUIDE[state].meaning, STATE_GUIDE[state].action]),
        ),
      ]);
    });
  };
}

function authorize(request: FastifyRequest, adminToken: string | null): void {
  if (!adminToken) {
    if (isLoopback(request.ip)) return;
    throw forbidden('The dashboard is only served to localhost until ADMIN_TOKEN is set');
  }
  const header = request.headers.authorization ?? '';
  let presented = '';
  if (header.startsWith('Bearer ')) presented = header.slice(7);
  else if (header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    presented = decoded.slice(decoded.indexOf(':') + 1);
  }
  if (!presented || !equalsSecret(presented, adminToken)) {
    throw new HttpError(401, 'unauthorized', 'Dashboard credentials required', {
      headers: { 'www-authenticate': 'Basic realm="hubspot-triage", charset="UTF-8"' },
    });
  }
}

const isLoopback = (ip: string) => ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';

function ticketLink(ticketId: string, portalId: string | null): string {
  const url = hubspotTicketUrl(portalId, ticketId);
  const id = escapeHtml(ticketId);
  return url ? `<a href="${escapeHtml(url)}" rel="noreferrer">${id}</a>` : id;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Cells are escaped unless their column index is listed in `trusted` (cells we built from escaped parts). */
function table(headers: string[], rows: string[][], options: { trusted?: number[] } = {}): string {
  const trusted = new Set(options.trusted ?? []);
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((cell, i) => `<td>${trusted.has(i) ? cell : escapeHtml(cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function page(parts: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hubspot-triage</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin-bottom:1.5rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
th{background:#f3f3f3}
</style></head><body>
${parts.join('\n')}
</body></html>`;
}
