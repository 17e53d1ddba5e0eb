// A fault switch in front of the fake Discord (test/fakes/discord.ts): the service posts to the gate, which either
// forwards to the fake (the only place a message "exists") or answers itself with a scripted failure (500, 429 with
// retry_after + Retry-After, 404 Unknown Webhook). It can also hold the fake's 2xx answers, so the harness can kill the
// service between "Discord posted it" and "the service heard so": the post-then-crash window.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FakeDiscord } from '../../fakes/discord.ts';

export type GateFailure = 'server_error' | 'rate_limit' | 'unknown_webhook';
export type GateMode = { kind: 'pass' } | { kind: 'fail'; failure: GateFailure; retryAfterSeconds?: number };

export interface GateRecord {
  ticketId: string | null;
  /** What the service was answered (null: held and never released). */
  status: number | null;
  /** True when the gate answered itself (the message never reached Discord). */
  refusedByGate: boolean;
  at: number;
}

export interface DiscordGate {
  webhookUrl: string;
  records: GateRecord[];
  setMode(mode: GateMode): void;
  /** Answers the next n requests with `failure` (then the current mode applies again). */
  failNext(n: number, failure: GateFailure): void;
  /** Holds the next n 2xx answers of the fake instead of passing them on. */
  holdNext(n: number): void;
  /** Resolves with the ticket id once `count` answers are held in total. */
  waitForHeld(count: number): Promise<string | null>;
  /** Sends the held answers on (to whatever is left of the connection). */
  releaseHeld(): void;
  close(): Promise<void>;
}

/** The ticket id in a Discord payload's embed title ("… Ticket #{id}: …"). */
export function ticketIdOfPayload(raw: string): string | null {
  try {
    const json = JSON.parse(raw) as { embeds?: { title?: string }[] };
    return /Ticket #([^:]+):/.exec(json.embeds?.[0]?.title ?? '')?.[1] ?? null;
  } catch {
    return null;
  }
}

export async function startDiscordGate(discord: FakeDiscord): Promise<DiscordGate> {
  const target = new URL(discord.webhook.url);
  const records: GateRecord[] = [];
  const sockets = new Set<Socket>();
  const held: { res: ServerResponse; status: number; headers: Record<string, unknown>; body: Buffer }[] = [];
  const heldIds: (string | null)[] = [];
  const heldWaiters: { count: number; resolve: (id: string | null) => void }[] = [];
  const failQueue: GateFailure[] = [];
  let mode: GateMode = { kind: 'pass' };
  let holdRemaining = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const ticketId = ticketIdOfPayload(body.toString('utf8'));
    const failure = failQueue.shift() ?? (mode.kind === 'fail' ? mode.failure : null);
    if (failure) {
      const retryAfter = mode.kind === 'fail' ? (mode.retryAfterSeconds ?? 0.5) : 0.5;
      const [status, json, headers] = failureReply(failure, retryAfter);
      records.push({ ticketId, status, refusedByGate: true, at: performance.now() });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
      return;
    }
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          const status = answer.statusCode ?? 502;
          const record: GateRecord = { ticketId, status, refusedByGate: false, at: performance.now() };
          records.push(record);
          if (holdRemaining > 0 && status >= 200 && status < 300) {
            holdRemaining -= 1;
            record.status = null;
            held.push({ res, status, headers: answer.headers, body: Buffer.concat(parts) });
            heldIds.push(ticketId);
            for (const waiter of [...heldWaiters]) {
              if (heldIds.length >= waiter.count) {
                heldWaiters.splice(heldWaiters.indexOf(waiter), 1);
                waiter.resolve(ticketId);
              }
            }
            return;
          }
          res.writeHead(status, answer.headers);
          res.end(Buffer.concat(parts));
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
    setMode: (next) => {
      mode = next;
    },
    failNext: (n, failure) => failQueue.push(...Array.from({ length: n }, () => failure)),
    holdNext: (n) => {
      holdRemaining += n;
    },
    waitForHeld: (count) =>
      heldIds.length >= count
        ? Promise.resolve(heldIds[count - 1] ?? null)
        : new Promise((resolve) => heldWaiters.push({ count, resolve })),
    releaseHeld: () => {
      for (const h of held.splice(0)) {
        if (h.res.destroyed || h.res.socket?.destroyed) continue;
        h.res.writeHead(h.status, h.headers as Record<string, string>);
        h.res.end(h.body);
      }
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function failureReply(failure: GateFailure, retryAfter: number): [number, unknown, Record<string, string>] {
  switch (failure) {
    case 'server_error':
      return [500, { message: '500: Internal Server Error', code: 0 }, {}];
    case 'rate_limit':
      return [
        429,
        { message: 'You are being rate limited.', retry_after: retryAfter, global: false },
        { 'retry-after': String(Math.ceil(retryAfter)) },
      ];
    case 'unknown_webhook':
      return [404, { message: 'Unknown Webhook', code: 10015 }, {}];
  }
}
