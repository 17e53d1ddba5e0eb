// The overview for a window (24 h, 7 d, 30 d): what came in and what became of it, by provider; tickets that need a
// person; the latest runs.
import type { FeedbackSummary } from '../../db/feedback-store.ts';
import type { RunStore } from '../../db/run-store.ts';
import type { ProcessingStats, TicketStore } from '../../db/ticket-store.ts';
import { RUN_OUTCOMES, STATE_GUIDE, SUCCESS_RATE_RULE, TICKET_STATES } from '../../domain/states.ts';
import type { HealthReport } from '../../observability/health.ts';
import { type Html, html, when } from '../html.ts';
import { servicesSection } from './services.ts';
import { ticketPath } from './ticket.ts';

export const WINDOWS = { '24h': 24, '7d': 24 * 7, '30d': 24 * 30 } as const;
export type WindowName = keyof typeof WINDOWS;

export function parseWindow(value: unknown): WindowName {
  return typeof value === 'string' && value in WINDOWS ? (value as WindowName) : '24h';
}

type NotPosted = Awaited<ReturnType<TicketStore['recentNotPosted']>>[number];
type RecentRun = Awaited<ReturnType<RunStore['recentRuns']>>[number];

export function overviewPage(
  window: WindowName,
  stats: ProcessingStats,
  notPosted: NotPosted[],
  runs: RecentRun[],
  feedback: FeedbackSummary,
  health: HealthReport | null,
  runsPart: Html,
  /** When the window's counts were taken, for counts kept by the stats cache; null when counted for this page. */
  countedAt: Date | null = null,
) {
  const share = (part: number, whole: number) => (whole === 0 ? 'n/a' : `${((part / whole) * 100).toFixed(0)} %`);
  const rate = stats.success_rate === null ? 'n/a' : `${(stats.success_rate * 100).toFixed(1)} %`;
  const card = (n: string | number, label: string) =>
    html`<div class="card"><div class="n">${n}</div><div class="l">${label}</div></div>`;
  return html`<h1>Overview</h1>
<p class="filters">${Object.keys(WINDOWS).map((name) =>
    name === window ? html`<b>${name}</b>` : html`<a href="/?window=${name}">${name}</a>`,
  )}</p>
<div class="cards">
${card(stats.total, 'tickets received')}${RUN_OUTCOMES.map((state) => card(stats.states[state], state))}${card(stats.in_progress, 'in progress')}${card(stats.duplicates, 'duplicate deliveries suppressed')}${card(rate, 'success rate')}
</div>
<p class="muted">${SUCCESS_RATE_RULE}.${countedAt ? html` These counts and the triage attempts below were counted ${when(countedAt)} (a ${window} window is recounted at most once a minute while someone looks).` : ''}</p>
${runsPart}
${health ? servicesSection(health) : ''}
<h2>What the team said</h2>
<div class="cards">
${card(feedback.answers, 'tickets with feedback')}${card(share(feedback.useful, feedback.answers), 'useful (acceptance)')}${card(share(feedback.priorityAgreed, feedback.withPriority), 'priority agreement')}${card(share(feedback.falseCritical, feedback.triagedCritical), 'false critical')}${card(share(feedback.draftUsed, feedback.draftAnswered), 'drafts used')}
</div>
<h2>By provider</h2>
<p>${Object.entries(stats.posted_by_provider).map(([provider, n]) => html`<span class="tag">${provider}: ${n}</span> `) || 'none'}</p>
<h2>Not posted: needs a person (${notPosted.length})</h2>
${
  notPosted.length === 0
    ? html`<p class="muted">None. A not_posted ticket shows here; its page has a replay button.</p>`
    : html`<div class="scroll"><table><thead><tr><th>ticket</th><th>attempts</th><th>last error</th><th>updated</th></tr></thead><tbody>${notPosted.map(
        (row) =>
          html`<tr><td><a href="${ticketPath(row)}">${row.ticketId}</a></td><td>${row.attempts}</td><td>${(row.lastError ?? '').slice(0, 200)}</td><td>${when(row.updatedAt)}</td></tr>`,
      )}</tbody></table></div>`
}
<h2>Latest runs</h2>
<p class="muted">One row per attempt; an attempt that was retried is not_posted even when a later one posted.</p>
<div class="scroll"><table><thead><tr><th>when</th><th>ticket</th><th>outcome</th><th>priority</th><th>provider</th><th class="hide-narrow">model</th><th class="hide-narrow">repaired</th><th class="hide-narrow">error</th><th class="num">total ms</th></tr></thead><tbody>
${runs.map(
  (run) =>
    html`<tr><td>${when(run.createdAt)}</td><td><a href="${ticketPath(run)}">${run.ticketId}</a></td><td>${run.status}</td><td>${run.priority ?? ''}</td><td>${run.provider ?? ''}</td><td class="hide-narrow">${run.model ?? ''}</td><td class="hide-narrow">${run.repaired ? 'yes' : ''}</td><td class="hide-narrow">${run.errorClass ?? ''}</td><td class="num">${run.totalMs === null ? '' : run.totalMs.toFixed(0)}</td></tr>`,
)}
</tbody></table></div>
<h2>Ticket states</h2>
<div class="scroll"><table><thead><tr><th>state</th><th>meaning</th><th>what to do</th></tr></thead><tbody>${TICKET_STATES.map(
    (state) =>
      html`<tr><td><span class="tag">${state}</span></td><td>${STATE_GUIDE[state].meaning}</td><td>${STATE_GUIDE[state].action}</td></tr>`,
  )}</tbody></table></div>`;
}
