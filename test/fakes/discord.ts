// A fake Discord webhook endpoint: a real HTTP server on 127.0.0.1:0 serving /api/webhooks/:id/:token. It records
// every request (with how many were in flight when it arrived), answers from a per-test script (then 200 with a
// message object), rejects invalid payloads with 400 50035 as Discord does, and works out who a message would have
// pinged so tests can assert nobody was. Rate limits as Discord sends them: X-RateLimit-* headers on scripted replies,
// a timed 429 window (`block`) and a per-webhook bucket (`setBucket`) that counts requests and answers 429 when spent.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { validateDiscordPayload } from '../helpers/discord-validator.ts';

export type RateLimitScope = 'user' | 'global' | 'shared';

/** X-RateLimit-* values for a scripted reply; Reset and Reset-After are derived from resetAfter (seconds). */
export interface FakeRateLimitHeaders {
  remaining: number;
  resetAfter: number;
  limit?: number;
  bucket?: string;
}

export type FakeDiscordReply =
  | { kind: 'ok'; rateLimit?: FakeRateLimitHeaders }
  | {
      kind: 'rate_limit';
      retryAfter?: number;
      global?: boolean;
      retryAfterHeader?: string | null;
      scope?: RateLimitScope;
      /** Send the X-RateLimit-* headers Discord adds to a 429 (on by default). */
      headers?: boolean;
    }
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
  /** performance.now() when the answer was sent; null while unanswered. */
  answeredAt: number | null;
  /** Requests in flight (received, not yet answered) when this one arrived, itself included. */
  concurrent: number;
  /** Whether a `block` window or a spent bucket covered this webhook when the request arrived. */
  limited: boolean;
}

export interface FakeBlock {
  durationMs: number;
  /** A global limit answers 429 to every webhook, with `global: true` and X-RateLimit-Global. */
  global?: boolean;
  /** Only this webhook id (ignored when global); default: the start webhook. */
  webhookId?: string;
}

export interface FakeBucket {
  /** Requests allowed per window and webhook, as X-RateLimit-Limit. */
  limit: number;
  windowMs: number;
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
  /**
   * From now until durationMs later, every request (to the webhook, or to all when global) is answered 429 with
   * retry_after = the time left, as Discord does. Scripted replies wait until the window is over.
   */
  block(options: FakeBlock): void;
  /** Discord's per-webhook bucket: headers on every 2xx, 429 once `limit` requests used the window. null: off. */
  setBucket(bucket: FakeBucket | null): void;
  /** The most requests that were in flight at once since start (or since the last resetStats). */
  readonly maxConcurrent: number;
  resetStats(): void;
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

/** Discord's webhook object for an incoming webhook fetched with its token. */
function webhookObject(id: string, token: string): Record<string, unknown> {
  return {
    application_id: null,
    avatar: null,
    channel_id: '1100000000000000001',
    guild_id: '1100000000000000000',
    id,
    name: 'Triage',
    type: 1,
    token,
  };
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

/** Discord gives seconds with millisecond precision; rounding up keeps a client that waits as told out of the window. */
function secondsLeft(until: number, now: number): number {
  return Math.max(0.001, Math.ceil(until - now) / 1000);
}

function rateLimitHeaders(values: FakeRateLimitHeaders): Record<string, string> {
  return {
    'x-ratelimit-limit': String(values.limit ?? 5),
    'x-ratelimit-remaining': String(values.remaining),
    'x-ratelimit-reset': ((Date.now() + values.resetAfter * 1000) / 1000).toFixed(3),
    'x-ratelimit-reset-after': values.resetAfter.toFixed(3),
    'x-ratelimit-bucket': values.bucket ?? 'f2d3bd52a1a0a2a5e3c4b1a0d9e8f7c6',
  };
}

type Answer = (status: number, body?: unknown, headers?: Record<string, string>) => void;

/** A 429 as Discord sends it: JSON body with retry_after, Retry-After rounded up, X-RateLimit-* with Scope. */
function rateLimited(
  answer: Answer,
  reply: Omit<Extract<FakeDiscordReply, { kind: 'rate_limit' }>, 'kind'> & { limit?: number },
): void {
  const retryAfter = reply.retryAfter ?? 0.2;
  const global = reply.global ?? false;
  const header = reply.retryAfterHeader === undefined ? String(Math.ceil(retryAfter)) : reply.retryAfterHeader;
  const headers: Record<string, string> = header === null ? {} : { 'retry-after': header };
  if (reply.headers !== false) {
    // A global limit is not a bucket's: Discord sends no bucket counters with it.
    if (!global) {
      Object.assign(headers, rateLimitHeaders({ remaining: 0, resetAfter: retryAfter, limit: reply.limit ?? 5 }));
    }
    headers['x-ratelimit-scope'] = reply.scope ?? (global ? 'global' : 'user');
  }
  if (global) headers['x-ratelimit-global'] = 'true';
  answer(429, { message: 'You are being rate limited.', retry_after: retryAfter, global }, headers);
}

export async function startFakeDiscord(): Promise<FakeDiscord> {
  const webhooks = new Map<string, string>();
  const queue: FakeDiscordReply[] = [];
  const requests: RecordedRequest[] = [];
  const waiters: Array<{ n: number; resolve: (r: RecordedRequest[]) => void }> = [];
  const sockets = new Set<Socket>();
  const blocks = new Map<string, { until: number; global: boolean }>();
  let bucket: FakeBucket | null = null;
  const windows = new Map<string, { startedAt: number; used: number }>();
  let inFlight = 0;
  let maxConcurrent = 0;

  const server = createServer((req, res) => {
    inFlight += 1;
    res.on('close', () => {
      inFlight -= 1;
    });
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
      answeredAt: null,
      concurrent: inFlight,
      limited: false,
    };
    maxConcurrent = Math.max(maxConcurrent, inFlight);
    const answer = (status: number, body?: unknown, headers?: Record<string, string>) => {
      entry.status = status;
      entry.answeredAt = performance.now();
      if (body === undefined) {
        res.writeHead(status);
        res.end();
      } else sendJson(res, status, body, headers);
    };
    record(entry);

    if (!match || webhooks.get(match[1]!) !== match[2]) return answer(404, { message: 'Unknown Webhook', code: 10015 });
    // GET with the token answers the webhook object, as Discord does (`triage doctor` checks a URL this way).
    if (req.method === 'GET') return answer(200, webhookObject(match[1]!, match[2]!));
    if (req.method !== 'POST') return answer(405, { message: '405: Method Not Allowed', code: 0 });
    const hookId = match[1]!;
    const now = performance.now();
    const block = activeBlock(hookId, now);
    if (block) {
      entry.limited = true;
      return rateLimited(answer, {
        retryAfter: secondsLeft(block.until, now),
        global: block.global,
        scope: block.global ? 'global' : 'user',
      });
    }
    let bucketHeaders: FakeRateLimitHeaders | undefined;
    if (bucket) {
      let window = windows.get(hookId);
      if (!window || now - window.startedAt >= bucket.windowMs) {
        window = { startedAt: now, used: 0 };
        windows.set(hookId, window);
      }
      const resetAfter = secondsLeft(window.startedAt + bucket.windowMs, now);
      if (window.used >= bucket.limit) {
        entry.limited = true;
        return rateLimited(answer, { retryAfter: resetAfter, limit: bucket.limit });
      }
      window.used += 1;
      bucketHeaders = { limit: bucket.limit, remaining: bucket.limit - window.used, resetAfter };
    }
    const reply = queue.shift() ?? { kind: 'ok' };
    switch (reply.kind) {
      case 'hang':
        return;
      case 'rate_limit':
        return rateLimited(answer, reply);
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
        const limitHeaders = reply.kind === 'ok' && reply.rateLimit ? reply.rateLimit : bucketHeaders;
        const headers = limitHeaders ? rateLimitHeaders(limitHeaders) : {};
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
          return answer(400, { message: 'Cannot send an empty message', code: 50006 });
        }
        const problems = validateDiscordPayload(json);
        if (problems.length > 0) return answer(400, invalidForm(problems));
        if (reply.kind === 'no_content' || url.searchParams.get('wait') !== 'true') return answerEmpty(204, headers);
        const payload = json as { content?: string; embeds?: unknown[] };
        const pings = entry.pings;
        return answer(
          200,
          {
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
          },
          headers,
        );
      }
    }

    function answerEmpty(status: number, headers: Record<string, string>) {
      entry.status = status;
      entry.answeredAt = performance.now();
      res.writeHead(status, headers);
      res.end();
    }
  }

  function activeBlock(hookId: string, now: number) {
    const own = blocks.get(hookId);
    const global = blocks.get('*');
    const active = [own, global].filter((b) => b !== undefined && b.until > now);
    return active.sort((a, b) => b!.until - a!.until)[0];
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

  const webhook = createWebhook();
  return {
    baseUrl,
    webhook,
    createWebhook,
    requests,
    script: (...replies) => queue.push(...replies),
    waitForRequests: (n) =>
      requests.length >= n ? Promise.resolve([...requests]) : new Promise((resolve) => waiters.push({ n, resolve })),
    block: (options) => {
      const until = performance.now() + options.durationMs;
      blocks.set(options.global ? '*' : (options.webhookId ?? webhook.id), { until, global: options.global ?? false });
    },
    setBucket: (next) => {
      bucket = next;
      windows.clear();
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    resetStats: () => {
      maxConcurrent = inFlight;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
