// The CRM v3 ticket search the catch-up sweep lists recent tickets with: the request body and the response page.
// Search pages by offset cursors and answers at most SEARCH_RESULT_CAP results per query, so the client sorts by
// createdate ascending (new tickets land after the cursor, never shifting it) and starts a new query past the cap.
import { z } from 'zod';
import type { CrmObject } from '../domain/normalize.ts';

/** HubSpot answers 400 when a search pages beyond this many results. */
export const SEARCH_RESULT_CAP = 10_000;
export const SEARCH_PAGE_SIZE = 100;
/** What the contract asks for; the sweep reads only createdate, and no property value is ever logged. */
const SEARCH_PROPERTIES = ['subject', 'createdate', 'hs_pipeline_stage'];

export interface SearchedTicket extends CrmObject {
  /** createdate as ISO-8601, null when HubSpot sent none or something unreadable. */
  createdAt: string | null;
}

export interface TicketSearchPage {
  tickets: SearchedTicket[];
  /** HubSpot's count of matches for the query this page belongs to. */
  total: number;
  /** False on the last page. True on the last page yielded means the listing was cut short (pageLimit, cap). */
  hasMore: boolean;
}

export interface SearchOptions {
  signal?: AbortSignal;
  /** Pages fetched at most before the listing stops (the last page then says hasMore). Default 500. */
  pageLimit?: number;
}

export function ticketSearchBody(sinceMs: number, after: string | null): Record<string, unknown> {
  return {
    filterGroups: [{ filters: [{ propertyName: 'createdate', operator: 'GTE', value: String(sinceMs) }] }],
    sorts: [{ propertyName: 'createdate', direction: 'ASCENDING' }],
    properties: SEARCH_PROPERTIES,
    limit: SEARCH_PAGE_SIZE,
    ...(after === null ? {} : { after }),
  };
}

const id = z.union([z.string(), z.number()]).transform(String);
const value = z
  .unknown()
  .transform((raw) =>
    typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : null,
  );

const searchPageSchema = z.object({
  total: z.number(),
  results: z.array(z.object({ id, properties: z.record(z.string(), value), createdAt: z.string().optional() })),
  paging: z.object({ next: z.object({ after: z.string() }).optional() }).optional(),
});

export interface RawSearchPage {
  total: number;
  tickets: SearchedTicket[];
  /** The cursor of the next page, null on the last one. */
  after: string | null;
}

/** A search response as a page, or null when it is not the documented shape. */
export function parseSearchPage(json: unknown): RawSearchPage | null {
  const parsed = searchPageSchema.safeParse(json);
  if (!parsed.success) return null;
  return {
    total: parsed.data.total,
    tickets: parsed.data.results.map((result) => ({
      id: result.id,
      properties: result.properties,
      createdAt: toIso(result.properties.createdate ?? result.createdAt ?? null),
    })),
    after: parsed.data.paging?.next?.after ?? null,
  };
}

export interface PaginateDeps {
  /** One search request (with the client's retries) for the given body. */
  fetchPage: (body: Record<string, unknown>) => Promise<RawSearchPage>;
  /** Waits between pages to stay under the search rate limit. */
  pause: () => Promise<void>;
  pageLimit: number;
  resultCap: number;
}

export async function* paginateTicketSearch(
  sinceMs: number,
  deps: PaginateDeps,
): AsyncGenerator<TicketSearchPage, void> {
  let since = sinceMs;
  let after: string | null = null;
  // Ids listed with the latest createdate seen: a query restarted at that createdate (GTE) lists them again.
  let latestMs = Number.NEGATIVE_INFINITY;
  let atLatest = new Set<string>();
  for (let pages = 1; ; pages++) {
    if (pages > 1) await deps.pause();
    const page = await deps.fetchPage(ticketSearchBody(since, after));
    const fresh = page.tickets.filter((ticket) => !atLatest.has(ticket.id));
    for (const ticket of fresh) {
      const ms = ticket.createdAt === null ? Number.NaN : Date.parse(ticket.createdAt);
      if (ms > latestMs) {
        latestMs = ms;
        atLatest = new Set();
      }
      if (ms === latestMs) atLatest.add(ticket.id);
    }
    after = page.after;
    const offset = Number(after);
    if (after !== null && Number.isFinite(offset) && offset + SEARCH_PAGE_SIZE > deps.resultCap) {
      // Paging past the cap gets a 400: go on with a new query from the latest createdate listed. A cap's worth of
      // tickets sharing one millisecond cannot move forward; the listing then ends early (hasMore says so).
      if (!(latestMs > since)) {
        yield { tickets: fresh, total: page.total, hasMore: true };
        return;
      }
      since = latestMs;
      after = null;
    }
    yield { tickets: fresh, total: page.total, hasMore: page.after !== null };
    if (page.after === null || pages >= deps.pageLimit) return;
  }
}

/** CRM v3 sends datetimes as ISO strings; older portals and some properties still use ms epoch strings. */
function toIso(raw: string | null): string | null {
  if (raw === null) return null;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}
