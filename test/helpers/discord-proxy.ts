// A proxy in front of the fake Discord (test/fakes/discord.ts), for tests that need to stand between the service and
// Discord: it records what Discord answered (the fake records requests, not its answers), answers in Discord's place
// with a scripted failure (500, 429 with retry_after + Retry-After, 404 Unknown Webhook), holds requests before they
// reach Discord, or holds Discord's 2xx answers so a test can kill the service between "Discord posted it" and "the
// service heard so" (the post-then-crash window). The fake stays the only place a message "exists".
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FakeDiscord } from '../fakes/discord.ts';
import { type DiscordFailure, discordFailure } from '../fixtures/discord.ts';

export type ProxyMode = { kind: 'pass' } | { kind: 'fail'; failure: DiscordFailure; retryAfterSeconds?: number };

export interface ProxyRecord {
  ticketId: string | null;
  /** What the service was answered (null: held, or never answered). */
  status: number | null;
  /** The answer's body as sent to the service ('' while held). */
  body: string;
  /** True when the proxy answered itself (the message never reached Discord). */
  refusedByProxy: boolean;
  at: number;
}

/** A request held before it reached Discord. */
export interface HeldRequest {
  ticketId: string | null;
  /** Sends it on to the fake Discord. */
  forward(): void;
  /** Answers it in Discord's place with `failure`; it never reaches Discord. */
  refuse(failure: DiscordFailure): void;
}

export interface DiscordProxy {
  /** The webhook URL to give the service: the fake's path on the proxy's port. */
  webhookUrl: string;
  /** Every answer, in order. */
  records: ProxyRecord[];
  setMode(mode: ProxyMode): void;
  /** Answers the next n requests with `failure` (then the current mode applies again). */
  failNext(n: number, failure: DiscordFailure): void;
  /** Holds the next n 2xx answers of the fake instead of passing them on. */
  holdNext(n: number): void;
  /** Resolves with the ticket id once `count` answers are held in total. */
  waitForHeld(count: number): Promise<string | null>;
  /** Sends the held answers on (to whatever is left of the connection). */
  releaseHeld(): void;
  /** From now on, requests wait in `heldRequests` until the test forwards or refuses each. */
  holdRequests(): void;
  /** From now on, requests pass again (those already held stay held). */
  passRequests(): void;
  heldRequests: HeldRequest[];
  /** Resolves once `count` requests are held in total. */
  waitForHeldRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

/** The ticket id in a Discord payload's embed title ("… Ticket #{id}: …"). */
function ticketIdOfPayload(raw: string): string | null {
  try {
    const json = JSON.parse(raw) as { embeds?: { title?: string }[] };
    return /Ticket #([^:]+):/.exec(json.embeds?.[0]?.title ?? '')?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Resolves `resolve` for each waiter whose count `have` reaches. */
function wake<T>(waiters: { count: number; resolve: (value: T) => void }[], have: number, value: T): void {
  for (const waiter of [...waiters]) {
    if (have >= waiter.count) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(value);
    }
  }
}

export async function startDiscordProxy(discord: FakeDiscord): Promise<DiscordProxy> {
  const target = new URL(discord.webhook.url);
  const records: ProxyRecord[] = [];
  const sockets = new Set<Socket>();
  const heldAnswers: { res: ServerResponse; status: number; headers: Record<string, unknown>; body: Buffer }[] = [];
  const heldAnswerIds: (string | null)[] = [];
  const answerWaiters: { count: number; resolve: (id: string | null) => void }[] = [];
  const heldRequests: HeldRequest[] = [];
  const requestWaiters: { count: number; resolve: () => void }[] = [];
  const failQueue: DiscordFailure[] = [];
  let mode: ProxyMode = { kind: 'pass' };
  let holdAnswers = 0;
  let holdingRequests = false;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const ticketId = ticketIdOfPayload(body.toString('utf8'));
    if (holdingRequests) {
      heldRequests.push({
        ticketId,
        forward: () => forward(req, res, body, ticketId),
        refuse: (failure) => refuse(res, ticketId, failure, 0.5),
      });
      wake(requestWaiters, heldRequests.length, undefined);
      return;
    }
    const failure = failQueue.shift() ?? (mode.kind === 'fail' ? mode.failure : null);
    if (failure) refuse(res, ticketId, failure, mode.kind === 'fail' ? (mode.retryAfterSeconds ?? 0.5) : 0.5);
    else forward(req, res, body, ticketId);
  }

  function refuse(res: ServerResponse, ticketId: string | null, failure: DiscordFailure, retryAfter: number) {
    const [status, json, headers] = discordFailure(failure, retryAfter);
    const body = JSON.stringify(json);
    records.push({ ticketId, status, body, refusedByProxy: true, at: performance.now() });
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  }

  function forward(req: IncomingMessage, res: ServerResponse, body: Buffer, ticketId: string | null) {
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          const status = answer.statusCode ?? 502;
          const answered = Buffer.concat(parts);
          const record: ProxyRecord = {
            ticketId,
            status,
            body: answered.toString('utf8'),
            refusedByProxy: false,
            at: performance.now(),
          };
          records.push(record);
          if (holdAnswers > 0 && status >= 200 && status < 300) {
            holdAnswers -= 1;
            record.status = null;
            record.body = '';
            heldAnswers.push({ res, status, headers: answer.headers, body: answered });
            heldAnswerIds.push(ticketId);
            wake(answerWaiters, heldAnswerIds.length, ticketId);
            return;
          }
          res.writeHead(status, answer.headers);
          res.end(answered);
        });
      },
    );
    upstream.on('error', () => res.socket?.destroy());
    upstream.end(body);
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    webhookUrl: `http://127.0.0.1:${port}${target.pathname}`,
    records,
    heldRequests,
    setMode: (next) => {
      mode = next;
    },
    failNext: (n, failure) => failQueue.push(...Array.from({ length: n }, () => failure)),
    holdNext: (n) => {
      holdAnswers += n;
    },
    waitForHeld: (count) =>
      heldAnswerIds.length >= count
        ? Promise.resolve(heldAnswerIds[count - 1] ?? null)
        : new Promise((resolve) => answerWaiters.push({ count, resolve })),
    releaseHeld: () => {
      for (const h of heldAnswers.splice(0)) {
        if (h.res.destroyed || h.res.socket?.destroyed) continue;
        h.res.writeHead(h.status, h.headers as Record<string, string>);
        h.res.end(h.body);
      }
    },
    holdRequests: () => {
      holdingRequests = true;
    },
    passRequests: () => {
      holdingRequests = false;
    },
    waitForHeldRequests: (count) =>
      heldRequests.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => requestWaiters.push({ count, resolve })),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
