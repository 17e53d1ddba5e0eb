// A fake Discord webhook endpoint: a real HTTP server on 127.0.0.1:0 serving /api/webhooks/:id/:token. It records
// every request, answers from a per-test script (then 200 with a message object), rejects invalid payloads with
// 400 50035 as Discord does, and works out who a message would have pinged so tests can assert nobody was.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { validateDiscordPayload } from '../helpers/discord-validator.ts';

export type FakeDiscordReply =
  | { kind: 'ok' }
  | { kind: 'rate_limit'; retryAfter?: number; global?: boolean; retryAfterHeader?: string | null }
  | { kind: 'server_error'; status?: number }
  | { kind: 'unknown_webhook' }
  | { kind: 'unauthorized' }
  | { kind: 'invalid_form'; errors?: Record<string, unknown> }
  | { kind: 'no_content' }
  | { kind: 'hang' };

export interface Pings {
  everyone: boolean;
  roles: string[];
  users: string[];
}

export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  webhookId: string | null;
  token: string | null;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  json: unknown;
  /** What Discord would have pinged for this message had it been accepted. */
  pings: Pings;
  /** The status we answered, or null for a hung request. */
  status: number | null;
  /** performance.now() when the body had arrived, to measure waits between retries. */
  receivedAt: number;
}

export interface FakeWebhook {
  id: string;
  token: string;
  url: string;
}

export interface FakeDiscord {
  baseUrl: string;
  /** The webhook created at start. */
  webhook: FakeWebhook;
  createWebhook(): FakeWebhook;
  requests: RecordedRequest[];
  /** Queues replies for the next requests, in order; once used up, requests are answered normally. */
  script(...replies: FakeDiscordReply[]): void;
  /** Resolves once at least n requests have arrived (hung ones included). */
  waitForRequests(n: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

let sequence = 0n;
function snowflake(): string {
  sequence += 1n;
  return (((BigInt(Date.now()) - 1420070400000n) << 22n) | (sequence & 0x3fffffn)).toString();
}

/** Discord only reads mentions from `content`, and only pings what allowed_mentions permits. */
export function computePings(payload: unknown): Pings {
  const pings: Pings = { everyone: false, roles: [], users: [] };
  if (!payload || typeof payload !== 'object') return pings;
  const { content, allowed_mentions: allowed } = payload as {
    content?: unknown;
    allowed_mentions?: { parse?: string[]; roles?: string[]; users?: string[] };
  };
  if (typeof content !== 'string') return pings;
  // Without allowed_mentions Discord parses everything in webhook content.
  const parse = allowed ? (allowed.parse ?? []) : ['everyone', 'roles', 'users'];
  pings.everyone = parse.includes('everyone') && /@(everyone|here)/.test(content);
  for (const m of content.matchAll(/<@&(\d+)>/g)) {
    if (parse.includes('roles') || allowed?.roles?.includes(m[1]!)) pings.roles.push(m[1]!);
  }
  for (const m of content.matchAll(/<@!?(\d+)>/g)) {
    if (parse.includes('users') || allowed?.users?.includes(m[1]!)) pings.users.push(m[1]!);
  }
  return pings;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function invalidForm(errors: string[]): Record<string, unknown> {
  // Discord nests by path; a flat map of our validator's messages is close enough for clients that read it.
  const nested: Record<string, unknown> = {};
  for (const error of errors) {
    const [path = 'body', message = error] = error.split(': ');
    nested[path] = { _errors: [{ code: 'BASE_TYPE_INVALID', message }] };
  }
  return { message: 'Invalid Form Body', code: 50035, errors: nested };
}

export async function startFakeDiscord(): Promise<FakeDiscord> {
  const webhooks = new Map<string, string>();
  const queue: FakeDiscordReply[] = [];
  const requests: RecordedRequest[] = [];
  const waiters: Array<{ n: number; resolve: (r: RecordedRequest[]) => void }> = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function record(entry: RecordedRequest): void {
    requests.push(entry);
    for (const waiter of [...waiters]) {
      if (requests.length >= waiter.n) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve([...requests]);
      }
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse, rawBody: string) {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/api\/webhooks\/(\d+)\/([\w-]+)$/.exec(url.pathname);
    let json: unknown = null;
    try {
      json = JSON.parse(rawBody);
    } catch {
      json = null;
    }
    const entry: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      path: url.pathname,
      webhookId: match?.[1] ?? null,
      token: match?.[2] ?? null,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      rawBody,
      json,
      pings: computePings(json),
      status: null,
      receivedAt: performance.now(),
    };
    const answer = (status: number, body?: unknown, headers?: Record<string, string>) => {
      entry.status = status;
      if (body === undefined) {
        res.writeHead(status);
        res.end();
      } else sendJson(res, status, body, headers);
    };
    record(entry);

    if (!match || webhooks.get(match[1]!) !== match[2]) return answer(404, { message: 'Unknown Webhook', code: 10015 });
    if (req.method !== 'POST') return answer(405, { message: '405: Method Not Allowed', code: 0 });
    const reply = queue.shift() ?? { kind: 'ok' };
    switch (reply.kind) {
      case 'hang':
        return;
      case 'rate_limit': {
        const retryAfter = reply.retryAfter ?? 0.2;
        const header = reply.retryAfterHeader === undefined ? String(Math.ceil(retryAfter)) : reply.retryAfterHeader;
        const headers: Record<string, string> = header === null ? {} : { 'retry-after': header };
        if (reply.global) headers['x-ratelimit-global'] = 'true';
        return answer(
          429,
          { message: 'You are being rate limited.', retry_after: retryAfter, global: reply.global ?? false },
          headers,
        );
      }
      case 'server_error':
        return answer(reply.status ?? 500, { message: '500: Internal Server Error', code: 0 });
      case 'unknown_webhook':
        return answer(404, { message: 'Unknown Webhook', code: 10015 });
      case 'unauthorized':
        return answer(401, { message: '401: Unauthorized', code: 0 });
      case 'invalid_form':
        return answer(400, {
          message: 'Invalid Form Body',
          code: 50035,
          errors: reply.errors ?? { embeds: { '0': { title: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } } } },
        });
      case 'no_content':
      case 'ok': {
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
          return answer(400, { message: 'Cannot send an empty message', code: 50006 });
        }
        const problems = validateDiscordPayload(json);
        if (problems.length > 0) return answer(400, invalidForm(problems));
        if (reply.kind === 'no_content' || url.searchParams.get('wait') !== 'true') return answer(204);
        const payload = json as { content?: string; embeds?: unknown[] };
        const pings = entry.pings;
        return answer(200, {
          id: snowflake(),
          type: 0,
          content: payload.content ?? '',
          channel_id: '1100000000000000001',
          author: { id: match[1], username: 'Triage', bot: true, discriminator: '0000' },
          attachments: [],
          embeds: payload.embeds ?? [],
          mentions: pings.users.map((id) => ({ id })),
          mention_roles: pings.roles,
          mention_everyone: pings.everyone,
          pinned: false,
          tts: false,
          timestamp: new Date().toISOString(),
          edited_timestamp: null,
          flags: 0,
          components: [],
          webhook_id: match[1],
        });
      }
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  function createWebhook(): FakeWebhook {
    const id = snowflake();
    const token = randomBytes(34).toString('base64url');
    webhooks.set(id, token);
    return { id, token, url: `${baseUrl}/api/webhooks/${id}/${token}` };
  }

  return {
    baseUrl,
    webhook: createWebhook(),
    createWebhook,
    requests,
    script: (...replies) => queue.push(...replies),
    waitForRequests: (n) =>
      requests.length >= n ? Promise.resolve([...requests]) : new Promise((resolve) => waiters.push({ n, resolve })),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
