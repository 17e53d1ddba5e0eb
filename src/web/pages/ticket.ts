// One ticket's page: its state, what the customer wrote (as the last run saw it), every attempt with the provider
// chain and why each provider was skipped or failed, the guard's interventions, the Discord message as it was
// rendered, timings, and the replay button.
import type { TriageRunRow } from '../../db/run-store.ts';
import type { TicketStore } from '../../db/ticket-store.ts';
import { isPosted } from '../../domain/states.ts';
import { hubspotTicketUrl, type NormalizedTicket, type TicketKey } from '../../domain/ticket.ts';
import type { FallbackReason, GuardIntervention } from '../../domain/triage-result.ts';
import { type Html, html, when } from '../html.ts';
import { feedbackForm, type SavedFeedback } from './feedback.ts';

export type TicketRow = NonNullable<Awaited<ReturnType<TicketStore['findTicket']>>>;

/** `/tickets/<portal>/<ticket>`; a ticket that came without a portal id uses `_`. */
export function ticketPath(key: TicketKey): string {
  return `/tickets/${encodeURIComponent(key.portalId ?? '_')}/${encodeURIComponent(key.ticketId)}`;
}

export function ticketKeyFromPath(portal: string, ticket: string): TicketKey {
  return { portalId: portal === '_' ? null : portal, ticketId: ticket };
}

export function ticketPage(
  key: TicketKey,
  row: TicketRow | null,
  runs: TriageRunRow[],
  feedback: SavedFeedback,
  csrf: string,
  notice?: Html,
) {
  const latest = runs[0];
  const ticket = (runs.find((run) => run.ticket)?.ticket ?? null) as NormalizedTicket | null;
  const hubspot = hubspotTicketUrl(key.portalId, key.ticketId);
  return html`<h1>Ticket ${key.ticketId}${ticket?.subject ? html` <span class="muted">· ${ticket.subject}</span>` : ''}</h1>
${notice ?? ''}
<dl class="facts">
<dt>State</dt><dd>${row ? html`<span class="tag">${row.status}</span>` : html`<span class="muted">no record (retention removed it, or it was never queued)</span>`}</dd>
<dt>Portal</dt><dd>${key.portalId ?? html`<span class="muted">none</span>`}</dd>
${hubspot ? html`<dt>HubSpot</dt><dd><a href="${hubspot}" rel="noreferrer">open the ticket</a></dd>` : ''}
${
  row
    ? html`<dt>Attempts</dt><dd>${row.attempts}</dd><dt>Duplicate deliveries</dt><dd>${row.duplicates}</dd>
<dt>First seen</dt><dd>${when(row.createdAt)}</dd><dt>Last change</dt><dd>${when(row.updatedAt)}</dd>
${row.lastError ? html`<dt>Last error</dt><dd class="bad">${row.lastError}</dd>` : ''}`
    : ''
}
</dl>
<form method="post" action="${ticketPathFor(key)}/replay">
<input type="hidden" name="_csrf" value="${csrf}">
${row && isPosted(row.status) ? html`<label><input type="checkbox" name="force" value="1"> post a second message (it was posted already)</label>` : ''}
<p><button class="primary">Replay</button> <span class="muted">queues the ticket again with the copy its last run saw</span></p>
</form>
${latest ? runDetails(latest) : html`<p class="muted">No run recorded for this ticket.</p>`}
${latest ? html`<div id="feedback">${feedbackForm(`${ticketPath(key)}/feedback`, csrf, feedback, Boolean((latest.output as { reply_draft?: unknown } | null)?.reply_draft))}</div>` : ''}
${
  ticket
    ? html`<h2>What the customer wrote</h2><dl class="facts">
<dt>From</dt><dd>${ticket.customer_name ?? ''} ${ticket.customer_tier ? html`<span class="tag">${ticket.customer_tier}</span>` : ''}</dd>
<dt>Subject</dt><dd>${ticket.subject ?? ''}</dd></dl><pre>${ticket.body ?? ''}</pre>`
    : ''
}
<h2>Attempts (${runs.length})</h2>
<div class="scroll"><table><thead><tr><th>when</th><th>#</th><th>outcome</th><th>provider</th><th class="hide-narrow">model</th><th>error</th><th class="num">total ms</th></tr></thead><tbody>
${runs.map(
  (run) =>
    html`<tr><td>${when(run.createdAt)}</td><td>${run.attempt}</td><td>${run.status}</td><td>${run.provider ?? ''}</td><td class="hide-narrow">${run.model ?? ''}</td><td>${run.errorClass ?? ''}${run.errorMessage ? html` <span class="muted">${run.errorMessage}</span>` : ''}</td><td class="num">${Math.round(run.timings.totalMs)}</td></tr>`,
)}
</tbody></table></div>`;
}

const ticketPathFor = ticketPath;

function runDetails(run: TriageRunRow): Html {
  const output = run.output as Record<string, unknown> | null;
  const providers = (run.timings.providers ?? []) as { provider: string; outcome: string; latencyMs: number }[];
  const fallbacks = (run.fallbackReasons ?? []) as FallbackReason[];
  const interventions = (run.guardInterventions ?? []) as GuardIntervention[];
  return html`<h2>Triage</h2>
${
  output
    ? html`<dl class="facts">
<dt>Priority</dt><dd><span class="tag">${String(output.priority ?? '')}</span></dd>
<dt>Handling</dt><dd>${String(output.handling_mode ?? '')}</dd>
<dt>Internal action</dt><dd>${String(output.recommended_internal_action ?? '')}</dd>
<dt>Confidence</dt><dd>${output.confidence === undefined ? '' : String(output.confidence)}</dd>
<dt>Summary</dt><dd>${String(output.customer_summary ?? '')}</dd>
${output.reply_draft ? html`<dt>Reply draft</dt><dd><pre>${String(output.reply_draft)}</pre></dd>` : ''}
${list('Questions for the customer', output.questions_for_customer)}${list('Internal notes', output.internal_notes)}
</dl>`
    : html`<p class="muted">No triage output: the attempt ended ${run.status}${run.errorClass ? ` (${run.errorClass})` : ''}.</p>`
}
<h2>Why</h2>
<dl class="facts">
<dt>Answered by</dt><dd>${run.provider ?? 'nobody'}${run.model ? html` <span class="muted">(${run.model})</span>` : ''}${run.repaired ? html` <span class="tag">repaired</span>` : ''}</dd>
<dt>Provider chain</dt><dd>${providers.length === 0 ? html`<span class="muted">not recorded</span>` : providers.map((p, i) => html`${i > 0 ? ' → ' : ''}${p.provider}: ${p.outcome} <span class="muted">${Math.round(p.latencyMs)} ms</span>`)}</dd>
<dt>Fallback reasons</dt><dd>${fallbacks.length === 0 ? html`<span class="muted">none</span>` : fallbacks.map((f, i) => html`${i > 0 ? ', ' : ''}${f.provider} ${reasonText(f.reason)}`)}</dd>
<dt>Guard</dt><dd>${interventions.length === 0 ? html`<span class="muted">no intervention</span>` : html`<ul>${interventions.map((g) => html`<li><b>${g.kind}</b>: ${g.detail}</li>`)}</ul>`}</dd>
<dt>Timings</dt><dd>queue wait ${ms(run.timings.queueWaitMs)}, enrichment ${ms(run.timings.enrichmentMs)}, Discord ${ms(run.timings.notifyMs)}, total ${ms(run.timings.totalMs)}</dd>
${run.promptTokens !== null ? html`<dt>Tokens</dt><dd>${run.promptTokens} in, ${run.completionTokens ?? 0} out</dd>` : ''}
</dl>
${run.notification ? html`<h2>Discord message</h2>${embedPreview(run.notification)}` : ''}`;
}

function list(label: string, items: unknown): Html | string {
  if (!Array.isArray(items) || items.length === 0) return '';
  return html`<dt>${label}</dt><dd><ul>${items.map((item) => html`<li>${String(item)}</li>`)}</ul></dd>`;
}

const ms = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : `${Math.round(value)} ms`;

const REASONS: Partial<Record<string, string>> = {
  timeout: 'timed out',
  connection: 'was unreachable',
  http_5xx: 'answered a server error',
  http_4xx: 'refused the request',
  auth: 'refused the credentials',
  rate_limited: 'was rate limited',
  model_missing: 'does not have the model',
  invalid_output: 'answered outside the schema',
  circuit_open: 'was skipped (circuit open after repeated failures)',
  disabled: 'is not configured',
  internal: 'hit a bug in our code',
};
const reasonText = (reason: string) => REASONS[reason] ?? reason;

interface EmbedField {
  name?: string;
  value?: string;
}
interface StoredMessage {
  content?: string;
  embeds?: { title?: string; description?: string; fields?: EmbedField[]; footer?: { text?: string } }[];
}

/** The Discord message as it was sent, as text: Markdown stays literal, nothing in it can run or ping. */
function embedPreview(notification: unknown): Html {
  const message = notification as StoredMessage;
  return html`${message.content ? html`<p>${message.content}</p>` : ''}${(message.embeds ?? []).map(
    (embed) =>
      html`<div class="embed"><h3>${embed.title ?? ''}</h3>${embed.description ? html`<div>${embed.description}</div>` : ''}${(
        embed.fields ?? []
      ).map((field) => html`<div class="field"><b>${field.name ?? ''}</b>${field.value ?? ''}</div>`)}${
        embed.footer?.text ? html`<div class="muted">${embed.footer.text}</div>` : ''
      }</div>`,
  )}`;
}
