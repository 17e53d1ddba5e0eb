// The overview for a window (24 h, 7 d, 30 d): what came in and what became of it, by provider; tickets that need a
// person; the latest runs.
import type { FeedbackSummary } from '../../db/feedback-store.ts';
import type { RunStore } from '../../db/run-store.ts';
import type { ProcessingStats, TicketStore } from '../../db/ticket-store.ts';
import { html, when } from '../html.ts';
import { ticketPath } from './ticket.ts';

export const WINDOWS = { '24h': 24, '7d': 24 * 7, '30d': 24 * 30 } as const;
export type WindowName = keyof typeof WINDOWS;

export function parseWindow(value: unknown): WindowName {
  return typeof value === 'string' && value in WINDOWS ? (value as WindowName) : '24h';
}

type Failure = Awaited<ReturnType<TicketStore['recentFailures']>>[number];
type RecentRun = Awaited<ReturnType<RunStore['recentRuns']>>[number];

export function overviewPage(
  window: WindowName,
  stats: ProcessingStats,
  failures: Failure[],
  runs: RecentRun[],
  feedback: FeedbackSummary,
) {
  const share = (part: number, whole: number) => (whole === 0 ? 'n/a' : `${((part / whole) * 100).toFixed(0)} %`);
  const rate = stats.successRate === null ? 'n/a' : `${(stats.successRate * 100).toFixed(1)} %`;
  const card = (n: string | number, label: string) =>
    html`<div class="card"><div class="n">${n}</div><div class="l">${label}</div></div>`;
  return html`<h1>Overview</h1>
<p class="filters">${Object.keys(WINDOWS).map((name) =>
    name === window ? html`<b>${name}</b>` : html`<a href="/?window=${name}">${name}</a>`,
  )}</p>
<div class="cards">
${card(stats.total, 'tickets received')}${card(stats.notified, 'posted')}${card(stats.failed, 'not posted')}${card(stats.processing, 'in progress')}${card(stats.duplicates, 'duplicate deliveries suppressed')}${card(rate, 'success rate')}
</div>
<h2>What the team said</h2>
<div class="cards">
${card(feedback.answers, 'tickets with feedback')}${card(share(feedback.useful, feedback.answers), 'useful (acceptance)')}${card(share(feedback.priorityAgreed, feedback.withPriority), 'priority agreement')}${card(share(feedback.falseCritical, feedback.triagedCritical), 'false critical')}${card(share(feedback.draftUsed, feedback.draftAnswered), 'drafts used')}
</div>
<h2>By provider</h2>
<p>${Object.entries(stats.byProvider).map(([provider, n]) => html`<span class="tag">${provider}: ${n}</span> `) || 'none'}</p>
<h2>Needs a person (${failures.length})</h2>
${
  failures.length === 0
    ? html`<p class="muted">Nothing. A ticket that could not be posted shows here with a replay button on its page.</p>`
    : html`<div class="scroll"><table><thead><tr><th>ticket</th><th>attempts</th><th>last error</th><th>updated</th></tr></thead><tbody>${failures.map(
        (row) =>
          html`<tr><td><a href="${ticketPath(row)}">${row.ticketId}</a></td><td>${row.attempts}</td><td>${(row.lastError ?? '').slice(0, 200)}</td><td>${when(row.updatedAt)}</td></tr>`,
      )}</tbody></table></div>`
}
<h2>Latest runs</h2>
<div class="scroll"><table><thead><tr><th>when</th><th>ticket</th><th>outcome</th><th>priority</th><th>provider</th><th class="hide-narrow">model</th><th class="hide-narrow">repaired</th><th class="hide-narrow">error</th><th class="num">total ms</th></tr></thead><tbody>
${runs.map(
  (run) =>
    html`<tr><td>${when(run.createdAt)}</td><td><a href="${ticketPath(run)}">${run.ticketId}</a></td><td>${run.status}</td><td>${run.priority ?? ''}</td><td>${run.provider ?? ''}</td><td class="hide-narrow">${run.model ?? ''}</td><td class="hide-narrow">${run.repaired ? 'yes' : ''}</td><td class="hide-narrow">${run.errorClass ?? ''}</td><td class="num">${run.totalMs === null ? '' : run.totalMs.toFixed(0)}</td></tr>`,
)}
</tbody></table></div>`;
}
