// A fake HubSpot CRM v3 API on 127.0.0.1:<random port>: serves tickets and contacts from in-memory maps in the
// real response shapes, searches tickets by createdate (test/fakes/hubspot-search.ts), plays scripted failures
// (429 RATE_LIMIT, 5xx, 401, hang) one per request, and records every request. close() destroys open sockets, so a hanging request never keeps the test process alive.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CREATED, pickProperties, searchTickets } from './hubspot-search.ts';

export type ScriptedFailure =
  | { kind: 'rate_limit'; retryAfter?: string }
  | { kind: 'server_error'; status?: number }
  | { kind: 'unauthorized' }
  | { kind: 'missing_scopes' }
  | { kind: 'hang' };

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The request body as received ('' for GET). */
  body: string;
}

export interface FakeTicket {
  id: string;
  properties: Record<string, string | null>;
  contactIds?: string[];
}

export interface FakeContact {
  id: string;
  properties: Record<string, string | null>;
}

export interface FakeHubSpot {
  baseUrl: string;
  requests: RecordedRequest[];
  addTicket(ticket: FakeTicket): void;
  addContact(contact: FakeContact): void;
  /** Each failure answers exactly one upcoming request, in order; then normal service resumes. */
  failNext(...failures: ScriptedFailure[]): void;
  /** Resolves once at least `count` requests have arrived (event-driven, no polling). */
  waitForRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

export interface FakeHubSpotOptions {
  /** When set, any other bearer token gets HubSpot's 401 body. */
  accessToken?: string;
  /** Results one search may page through before HubSpot's 400; default 10 000 like HubSpot. */
  maxSearchResults?: number;
}

export async function startFakeHubSpot(options: FakeHubSpotOptions = {}): Promise<FakeHubSpot> {
  const tickets = new Map<string, FakeTicket>();
  const contacts = new Map<string, FakeContact>();
  const failures: ScriptedFailure[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const waiters: Array<{ count: number; resolve: () => void }> = [];

  const handle = (req: IncomingMessage, res: ServerResponse, text: string) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text });
    for (const waiter of [...waiters]) {
      if (requests.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
    const failure = failures.shift();
    if (failure) return playFailure(res, failure);
    if (options.accessToken !== undefined && req.headers.authorization !== `Bearer ${options.accessToken}`) {
      return sendUnauthorized(res);
    }
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'POST' && url.pathname === '/crm/v3/objects/tickets/search') {
      const answer = searchTickets(text, [...tickets.values()], options.maxSearchResults ?? 10_000);
      return send(res, answer.status, answer.body);
    }
    if (req.method !== 'GET') return send(res, 405, { status: 'error', message: 'Method not allowed' });
    if (url.pathname === '/crm/v3/objects/tickets') return send(res, 200, listTickets([...tickets.values()], url));
    const match = /^\/crm\/v3\/objects\/(tickets|contacts)\/([^/]+)$/.exec(url.pathname);
    if (!match) return send(res, 404, { status: 'error', message: 'Not found', category: 'OBJECT_NOT_FOUND' });
    const [, type, rawId] = match;
    const id = decodeURIComponent(rawId ?? '');
    const requested = (url.searchParams.get('properties') ?? '').split(',').filter((p) => p !== '');
    if (type === 'tickets') {
      const ticket = tickets.get(id);
      if (!ticket) return sendNotFound(res, id);
      const body: Record<string, unknown> = {
        id: ticket.id,
        properties: pickProperties(ticket.id, ticket.properties, requested),
        createdAt: CREATED,
        updatedAt: CREATED,
        archived: false,
      };
      // Like HubSpot, the associations key only appears when there is something to list.
      const contactIds = ticket.contactIds ?? [];
      if (url.searchParams.get('associations') === 'contacts' && contactIds.length > 0) {
        body.associations = {
          contacts: { results: contactIds.map((contactId) => ({ id: contactId, type: 'ticket_to_contact' })) },
        };
      }
      return send(res, 200, body);
    }
    const contact = contacts.get(id);
    if (!contact) return sendNotFound(res, id);
    return send(res, 200, {
      id: contact.id,
      properties: pickProperties(contact.id, contact.properties, requested),
      createdAt: CREATED,
      updatedAt: CREATED,
      archived: false,
    });
  };

  const server = createServer((req, res) => {
    // The whole body is read before answering, which also keeps the connection reusable.
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    addTicket: (ticket) => void tickets.set(ticket.id, ticket),
    addContact: (contact) => void contacts.set(contact.id, contact),
    failNext: (...next) => void failures.push(...next),
    waitForRequests: (count) =>
      requests.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function playFailure(res: ServerResponse, failure: ScriptedFailure): void {
  switch (failure.kind) {
    case 'rate_limit': {
      const headers: Record<string, string> =
        failure.retryAfter === undefined ? {} : { 'retry-after': failure.retryAfter };
      send(
        res,
        429,
        {
          status: 'error',
          message: 'You have reached your ten_secondly_rolling limit.',
          errorType: 'RATE_LIMIT',
          correlationId: 'c0ffee00-0000-4000-8000-000000000429',
          policyName: 'TEN_SECONDLY_ROLLING',
        },
        headers,
      );
      return;
    }
    case 'server_error':
      send(res, failure.status ?? 500, {
        status: 'error',
        message: 'internal error',
        correlationId: 'c0ffee00-0000-4000-8000-000000000500',
      });
      return;
    case 'unauthorized':
      sendUnauthorized(res);
      return;
    case 'missing_scopes':
      send(res, 403, {
        status: 'error',
        message:
          "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
        correlationId: 'c0ffee00-0000-4000-8000-000000000403',
        errors: [
          {
            message: 'One or more of the following scopes are required.',
            context: { requiredGranularScopes: ['tickets'] },
          },
        ],
        category: 'MISSING_SCOPES',
      });
      return;
    case 'hang':
      return; // never answered; close() destroys the socket
  }
}

/** GET /crm/v3/objects/tickets (the list endpoint): the first `limit` tickets, with paging when more exist. */
function listTickets(all: FakeTicket[], url: URL): Record<string, unknown> {
  const limit = Math.max(1, Math.min(100, Number(url.searchParams.get('limit') ?? 10) || 10));
  const results = all.slice(0, limit).map((ticket) => ({
    id: ticket.id,
    properties: pickProperties(ticket.id, ticket.properties, []),
    createdAt: CREATED,
    updatedAt: CREATED,
    archived: false,
  }));
  const next = all.length > limit ? { paging: { next: { after: String(limit), link: '' } } } : {};
  return { results, ...next };
}

function sendUnauthorized(res: ServerResponse): void {
  send(res, 401, {
    status: 'error',
    message: 'Authentication credentials not found. This API supports OAuth 2.0 authentication.',
    correlationId: 'c0ffee00-0000-4000-8000-000000000401',
    category: 'INVALID_AUTHENTICATION',
  });
}

function sendNotFound(res: ServerResponse, id: string): void {
  send(res, 404, {
    status: 'error',
    message: 'Object not found.  objectId are usually numeric.',
    correlationId: 'c0ffee00-0000-4000-8000-000000000404',
    context: { id: [id] },
    category: 'OBJECT_NOT_FOUND',
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}
