// The ticket list: search by ticket id or subject, filter by state, priority and provider, most recent activity
// first, one page of PAGE_SIZE at a time (keyset: the link to older tickets carries the last row's position).

import type { TicketListFilter, TicketListRow } from '../../db/ticket-store.ts';
import { TICKET_STATES } from '../../domain/states.ts';
import { PRIORITIES } from '../../domain/triage-output.ts';
import { HttpError } from '../../http/errors.ts';
import { html, when } from '../html.ts';
import { ticketPath } from './ticket.ts';

export const PAGE_SIZE = 50;
const PROVIDERS = ['local', 'groq', 'rules'] as const;

export interface ListQuery {
  q?: string;
  state?: string;
  priority?: string;
  provider?: string;
  after?: string;
}

/** Validates the query string into a store filter; a bad value is a 400 naming the parameter. */
export function parseListQuery(query: ListQuery): TicketListFilter {
  const pick = (name: keyof ListQuery, allowed: readonly string[]) => {
    const value = query[name]?.trim();
    if (!value) return undefined;
    if (!allowed.includes(value)) {
      throw new HttpError(400, 'invalid_query', `${name} must be one of: ${allowed.join(', ')}`, {
        details: { field: name },
      });
    }
    return value;
  };
  const q = query.q?.trim().slice(0, 200) || undefined;
  let after: TicketListFilter['after'];
  if (query.after) {
    const match = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)~([0-9a-f-]{36})$/.exec(query.after);
    if (!match || Number.isNaN(Date.parse(match[1]!))) {
      throw new HttpError(400, 'invalid_query', 'after must be a position from the "Older" link', {
        details: { field: 'after' },
      });
    }
    after = { at: new Date(match[1]!), id: match[2]! };
  }
  return {
    q,
    state: pick('state', TICKET_STATES),
    priority: pick('priority', PRIORITIES),
    provider: pick('provider', PROVIDERS),
    after,
    limit: PAGE_SIZE + 1,
  };
}

export function ticketsPage(filter: TicketListFilter, rows: TicketListRow[]) {
  const page = rows.slice(0, PAGE_SIZE);
  const last = rows.length > PAGE_SIZE ? page[page.length - 1] : undefined;
  const keep = new URLSearchParams();
  for (const name of ['q', 'state', 'priority', 'provider'] as const) {
    const value = filter[name];
    if (value) keep.set(name, value);
  }
  const older = last ? new URLSearchParams(keep) : null;
  older?.set('after', `${last!.processedAt.toISOString()}~${last!.id}`);
  const select = (name: string, values: readonly string[], current?: string) =>
    html`<label>${name}<br><select name="${name}"><option value="">any</option>${values.map(
      (value) => html`<option${value === current ? html` selected` : ''}>${value}</option>`,
    )}</select></label>`;
  return html`<h1>Tickets</h1>
<form method="get" action="/tickets" class="filters">
<label>Ticket id or subject<br><input type="search" name="q" value="${filter.q ?? ''}"></label>
${select('state', TICKET_STATES, filter.state)}${select('priority', PRIORITIES, filter.priority)}${select('provider', PROVIDERS, filter.provider)}
<button>Filter</button>
</form>
${
  page.length === 0
    ? html`<p class="muted">No ticket matches.</p>`
    : html`<div class="scroll"><table><thead><tr><th>ticket</th><th>subject</th><th>state</th><th>priority</th><th class="hide-narrow">provider</th><th class="hide-narrow num">attempts</th><th>last activity</th></tr></thead><tbody>${page.map(
        (row) =>
          html`<tr><td><a href="${ticketPath(row)}">${row.ticketId}</a></td><td>${row.subject ?? ''}</td><td><span class="tag">${row.status}</span></td><td>${row.priority ?? ''}</td><td class="hide-narrow">${row.provider ?? ''}</td><td class="hide-narrow num">${row.attempts}</td><td>${when(row.processedAt)}</td></tr>`,
      )}</tbody></table></div>`
}
<p>${filter.after ? html`<a href="/tickets${keep.size ? `?${keep}` : ''}">← Newest</a> ` : ''}${older ? html`<a href="/tickets?${older}">Older →</a>` : ''}</p>`;
}
