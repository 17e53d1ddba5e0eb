// HubSpot CRM v3 client (CONTRACTS §4) for enriching event-only deliveries (GET ticket + contact association, GET
// contact) and for the catch-up sweep (ticket search by createdate). Every failure is a HubSpotError with a class and
// a retryable flag; 429/5xx/timeouts are retried with bounded exponential back-off. The access token goes only into
// the Authorization header, never into an error.

import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { type CrmObject, type IntakeContext, normalizeCrmTicket } from '../domain/normalize.ts';
import type { FieldError } from '../domain/shapes.ts';
import type { NormalizedTicket } from '../domain/ticket.ts';
import { OutboundError } from '../http/outbound-error.ts';
import { parseRetryAfter as parseRetryAfterMs } from '../http/retry-after.ts';
import {
  paginateTicketSearch,
  parseSearchPage,
  SEARCH_RESULT_CAP,
  type SearchOptions,
  type TicketSearchPage,
} from './search.ts';

export type HubSpotErrorClass =
  | 'config' // no access token configured: fatal until an operator sets HUBSPOT_ACCESS_TOKEN
  | 'auth' // 401/403: token invalid or missing scopes
  | 'not_found' // 404: the ticket was deleted or the id is wrong
  | 'rate_limited' // 429 after the client's own retries
  | 'server' // 5xx after retries
  | 'timeout'
  | 'network'
  | 'client' // another 4xx: a request we built wrongly
  | 'bad_response' // 2xx whose body is not the documented shape
  | 'invalid_ticket' // the ticket exists but cannot become a NormalizedTicket (e.g. no content)
  | 'aborted'; // the caller's signal fired (shutdown)

/** `retryable`: worth trying again later (the job should be retried), as opposed to fatal. */
export class HubSpotError extends OutboundError<HubSpotErrorClass> {
  override readonly name = 'HubSpotError';
  /** What the server asked for, when it did (Retry-After). */
  readonly retryAfterMs: number | null;
  /** HubSpot's `category` or `errorType` (e.g. INVALID_AUTHENTICATION, RATE_LIMIT) for diagnosis. */
  readonly category: string | null;
  readonly correlationId: string | null;
  /** For class invalid_ticket: which field made the ticket unusable. */
  readonly fieldError: FieldError | null;

  constructor(
    errorClass: HubSpotErrorClass,
    message: string,
    details: {
      retryable?: boolean;
      status?: number | null;
      retryAfterMs?: number | null;
      category?: string | null;
      correlationId?: string | null;
      fieldError?: FieldError | null;
      cause?: unknown;
    } = {},
  ) {
    super(errorClass, message, {
      retryable: details.retryable ?? RETRYABLE.has(errorClass),
      status: details.status ?? null,
      cause: details.cause,
    });
    this.retryAfterMs = details.retryAfterMs ?? null;
    this.category = details.category ?? null;
    this.correlationId = details.correlationId ?? null;
    this.fieldError = details.fieldError ?? null;
  }
}

const RETRYABLE = new Set<HubSpotErrorClass>(['rate_limited', 'server', 'timeout', 'network', 'aborted']);
/** Classes the client retries itself before giving up; `aborted` is retryable for the job, not for us. */
const RETRIED_HERE = new Set<HubSpotErrorClass>(['rate_limited', 'server', 'timeout', 'network']);

/** The subset of a pino logger this client uses. */
export interface ClientLogger {
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface HubSpotClientOptions {
  accessToken: string | null;
  /** Default https://api.hubapi.com; tests point it at the local fake. */
  baseUrl?: string;
  /** Per attempt, covering headers and body. Default 10 000. */
  timeoutMs?: number;
  /** Retries after the first attempt for 429, 5xx, timeouts and connection errors. Default 3. */
  maxRetries?: number;
  /** First back-off step; doubles per retry. Default 1000. */
  baseDelayMs?: number;
  /** Longest single wait. A Retry-After longer than this is not slept on: the error goes to the caller. */
  maxDelayMs?: number;
  /** Ticket properties to request besides the documented ones (e.g. custom customer_tier, product_area). */
  extraTicketProperties?: string[];
  /** Pause between search pages: search allows about 5 requests per second per account. Default 200. */
  searchPageDelayMs?: number;
  /** Results one search query may page through; tests lower it to exercise the restart. Default 10 000. */
  searchResultCap?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1); injectable so tests can assert exact waits. */
  random?: () => number;
  logger?: ClientLogger;
}

export interface CallOptions {
  /** Aborts the call and any back-off wait (e.g. on shutdown). */
  signal?: AbortSignal;
}

export interface CrmTicket extends CrmObject {
  /** Associated contact ids in HubSpot's order; empty when the ticket has none. */
  contactIds: string[];
}

export interface HubSpotClient {
  getTicket(id: string, options?: CallOptions): Promise<CrmTicket>;
  getContact(id: string, options?: CallOptions): Promise<CrmObject>;
  /** Ticket + first associated contact as a NormalizedTicket; a vanished contact just means nulls. */
  fetchTicketForEnrichment(
    ticketId: string,
    portalId: string | null,
    ctx: IntakeContext & CallOptions,
  ): Promise<NormalizedTicket>;
  /** Tickets created at or after `sinceMs`, oldest first, one page (≤ 100) at a time; no ticket comes twice. */
  searchTicketsCreatedSince(sinceMs: number, options?: SearchOptions): AsyncGenerator<TicketSearchPage, void>;
}

const TICKET_PROPERTIES = [
  'subject',
  'content',
  'hs_pipeline',
  'hs_pipeline_stage',
  'hs_ticket_priority',
  'hs_ticket_category',
  'source_type',
  'createdate',
];
const CONTACT_PROPERTIES = ['email', 'firstname', 'lastname', 'company'];

// CRM v3 sends property values as strings or null; anything else is coerced rather than failing the enrichment.
const propertiesSchema = z
  .record(z.string(), z.unknown())
  .transform((props) =>
    Object.fromEntries(
      Object.entries(props).map(([key, value]) => [
        key,
        typeof value === 'string'
          ? value
          : typeof value === 'number' || typeof value === 'boolean'
            ? String(value)
            : null,
      ]),
    ),
  );
const crmObjectSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  properties: propertiesSchema,
  associations: z
    .object({
      contacts: z
        .object({ results: z.array(z.object({ id: z.union([z.string(), z.number()]).transform(String) })) })
        .optional(),
    })
    .optional(),
});

export function createHubSpotClient(options: HubSpotClientOptions): HubSpotClient {
  const baseUrl = (options.baseUrl ?? 'https://api.hubapi.com').replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetries = options.maxRetries ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const fetchFn = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal }));
  const random = options.random ?? Math.random;
  const logger = options.logger;
  const ticketProperties = [...TICKET_PROPERTIES, ...(options.extraTicketProperties ?? [])].join(',');
  const searchPageDelayMs = options.searchPageDelayMs ?? 200;
  const searchResultCap = options.searchResultCap ?? SEARCH_RESULT_CAP;

  const get = (path: string, call: CallOptions) => request(path, null, call, parseCrmObject);

  /** One call with retries; `body` null means GET, else a JSON POST. `parse` returns null for an unexpected shape. */
  async function request<T>(
    path: string,
    body: unknown,
    call: CallOptions,
    parse: (json: unknown) => T | null,
  ): Promise<T> {
    const token = options.accessToken;
    if (!token) {
      throw new HubSpotError('config', 'HUBSPOT_ACCESS_TOKEN is not configured: cannot fetch tickets from HubSpot');
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return await attemptOnce(path, body, token, call.signal, parse);
      } catch (error) {
        const failure = toHubSpotError(error, call.signal);
        if (!RETRIED_HERE.has(failure.errorClass) || attempt >= maxRetries) throw failure;
        if (failure.retryAfterMs !== null && failure.retryAfterMs > maxDelayMs) throw failure;
        const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
        // Equal jitter: at least half the step, so concurrent workers spread out without retrying immediately.
        const wait = failure.retryAfterMs ?? Math.round(exponential / 2 + (random() * exponential) / 2);
        logger?.warn(
          { error_class: failure.errorClass, status: failure.status, attempt: attempt + 1, wait_ms: wait },
          'hubspot request failed, retrying',
        );
        await pause(wait, call.signal);
      }
    }
  }

  async function attemptOnce<T>(
    path: string,
    body: unknown,
    token: string,
    signal: AbortSignal | undefined,
    parse: (json: unknown) => T | null,
  ): Promise<T> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== null) headers['content-type'] = 'application/json';
    const response = await fetchFn(`${baseUrl}${path}`, {
      method: body === null ? 'GET' : 'POST',
      headers,
      ...(body === null ? {} : { body: JSON.stringify(body) }),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    // Reading the whole body on every path releases the connection; the timeout signal also bounds this read.
    const text = await response.text();
    if (!response.ok) throw httpError(response, text, describe(path));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // No cause: a JSON.parse message quotes the body, which may hold customer data.
      throw new HubSpotError('bad_response', `HubSpot returned invalid JSON for ${describe(path)}`, {
        status: response.status,
      });
    }
    const parsed = parse(json);
    if (parsed === null) {
      throw new HubSpotError('bad_response', `HubSpot returned an unexpected body for ${describe(path)}`, {
        status: response.status,
      });
    }
    return parsed;
  }

  async function getTicket(id: string, call: CallOptions = {}): Promise<CrmTicket> {
    const path = `/crm/v3/objects/tickets/${encodeURIComponent(id)}?properties=${ticketProperties}&associations=contacts`;
    const data = await get(path, call);
    const contactIds = [...new Set((data.associations?.contacts?.results ?? []).map((result) => result.id))];
    return { id: data.id, properties: data.properties, contactIds };
  }

  async function getContact(id: string, call: CallOptions = {}): Promise<CrmObject> {
    const data = await get(`/crm/v3/objects/contacts/${encodeURIComponent(id)}?properties=${CONTACT_PROPERTIES}`, call);
    return { id: data.id, properties: data.properties };
  }

  async function fetchTicketForEnrichment(
    ticketId: string,
    portalId: string | null,
    ctx: IntakeContext & CallOptions,
  ): Promise<NormalizedTicket> {
    const call: CallOptions = ctx.signal ? { signal: ctx.signal } : {};
    const ticket = await getTicket(ticketId, call);
    let contact: CrmObject | null = null;
    const contactId = ticket.contactIds[0];
    if (contactId !== undefined) {
      try {
        contact = await getContact(contactId, call);
      } catch (error) {
        // A contact deleted after the association was read should not cost the customer their triage.
        if (!(error instanceof HubSpotError && error.errorClass === 'not_found')) throw error;
        logger?.debug(
          { ticket_id: ticketId, contact_id: contactId },
          'associated contact not found; continuing without it',
        );
      }
    }
    const normalized = normalizeCrmTicket(ticket, contact, {
      portalId,
      receivedAt: ctx.receivedAt,
      requestId: ctx.requestId,
    });
    if (!normalized.ok) {
      throw new HubSpotError('invalid_ticket', `HubSpot ticket ${ticketId} is unusable: ${normalized.error.message}`, {
        fieldError: normalized.error,
      });
    }
    return normalized.value;
  }

  function searchTicketsCreatedSince(sinceMs: number, search: SearchOptions = {}) {
    const call: CallOptions = search.signal ? { signal: search.signal } : {};
    return paginateTicketSearch(sinceMs, {
      fetchPage: (body) => request('/crm/v3/objects/tickets/search', body, call, parseSearchPage),
      pause: async () => {
        if (searchPageDelayMs > 0) await pause(searchPageDelayMs, call.signal);
      },
      pageLimit: search.pageLimit ?? 500,
      resultCap: searchResultCap,
    });
  }

  async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await sleep(ms, signal);
    } catch (error) {
      throw toHubSpotError(error, signal);
    }
  }

  return { getTicket, getContact, fetchTicketForEnrichment, searchTicketsCreatedSince };
}

function parseCrmObject(json: unknown) {
  const parsed = crmObjectSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** Path without the query string: enough to say which object failed, never anything secret. */
function describe(path: string): string {
  return path.split('?')[0] ?? path;
}

function httpError(response: Response, text: string, path: string): HubSpotError {
  const info = parseErrorBody(text);
  const status = response.status;
  const label = `${status}${info.category ? ` ${info.category}` : ''}`;
  const common = { status, category: info.category, correlationId: info.correlationId };
  if (status === 401 || status === 403) {
    return new HubSpotError(
      'auth',
      `HubSpot rejected the access token (${label}): check HUBSPOT_ACCESS_TOKEN and the private app's scopes`,
      common,
    );
  }
  if (status === 404) return new HubSpotError('not_found', `HubSpot object not found: ${path}`, common);
  if (status === 429) {
    return new HubSpotError('rate_limited', `HubSpot rate limit reached (${label})`, {
      ...common,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    });
  }
  if (status >= 500) return new HubSpotError('server', `HubSpot server error (${label}) for ${path}`, common);
  return new HubSpotError('client', `HubSpot refused the request (${label}) for ${path}`, common);
}

function parseErrorBody(text: string): { category: string | null; correlationId: string | null } {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body !== 'object' || body === null) return { category: null, correlationId: null };
    const record = body as Record<string, unknown>;
    const category = record.category ?? record.errorType;
    return {
      category: typeof category === 'string' ? category : null,
      correlationId: typeof record.correlationId === 'string' ? record.correlationId : null,
    };
  } catch {
    return { category: null, correlationId: null };
  }
}

/** Retry-After in ms, null when absent or unreadable (this client's convention for "no hint"). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  return parseRetryAfterMs(value, now) ?? null;
}

function toHubSpotError(error: unknown, signal: AbortSignal | undefined): HubSpotError {
  if (error instanceof HubSpotError) return error;
  if (signal?.aborted) return new HubSpotError('aborted', 'HubSpot request aborted by the caller', { cause: error });
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError') return new HubSpotError('timeout', 'HubSpot request timed out', { cause: error });
  return new HubSpotError('network', 'could not reach HubSpot', { cause: error });
}
