// A fake Ollama server, and the scripted JSON server core it shares with the OpenAI-compatible fake: a real HTTP
// server on 127.0.0.1:0 answering from a per-test queue (status/JSON/headers/delay, or hang, or a destroyed socket),
// recording every request. close() destroys open sockets so a hung request cannot keep the test process alive.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  /** Parsed JSON body, or undefined when it was not JSON. */
  body: unknown;
}

export type ScriptedReply =
  | { status?: number; json?: unknown; body?: string; headers?: Record<string, string>; delayMs?: number }
  | 'hang'
  | 'destroy';

/** A fixed reply, or one computed from the request (e.g. echo the model name). */
export type Responder = ScriptedReply | ((request: RecordedRequest) => ScriptedReply);

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  /** Queues replies for the next requests to the main route, in order. */
  enqueue(...replies: Responder[]): void;
  /** Used once the queue is empty (default: a 500 saying nothing was scripted). */
  setDefault(reply: Responder): void;
  /** Replaces the fixed answer of another path (e.g. /api/tags without the model, or 'hang'). */
  setFixed(path: string, reply: ScriptedReply): void;
  /** Resolves once at least n requests to the main route have arrived (hung ones included). */
  waitForRequests(n: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

export interface ScriptedServerOptions {
  /** Path whose requests consume the script, e.g. /api/chat. Other paths are answered by `fixed` or 404. */
  mainPath: string;
  fixed?: Record<string, ScriptedReply>;
  unscripted: ScriptedReply;
}

export async function startScriptedServer(options: ScriptedServerOptions): Promise<ScriptedServer> {
  const queue: Responder[] = [];
  const fixed: Record<string, ScriptedReply> = { ...options.fixed };
  let fallback: Responder = options.unscripted;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const waiters: { n: number; resolve: (r: RecordedRequest[]) => void }[] = [];

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = rawBody ? JSON.parse(rawBody) : undefined;
      } catch {
        body = undefined;
      }
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const recorded: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, rawBody, body };
      if (path !== options.mainPath) {
        send(res, fixed[path] ?? { status: 404, json: { error: 'not found' } });
        return;
      }
      requests.push(recorded);
      for (const w of [...waiters]) {
        if (requests.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(requests.slice());
        }
      }
      const responder = queue.shift() ?? fallback;
      send(res, typeof responder === 'function' ? responder(recorded) : responder);
    });
  });

  function send(res: ServerResponse, reply: ScriptedReply): void {
    if (reply === 'hang') return;
    if (reply === 'destroy') {
      res.socket?.destroy();
      return;
    }
    const write = () => {
      const text = reply.body ?? (reply.json === undefined ? '' : JSON.stringify(reply.json));
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(text);
    };
    if (reply.delayMs) {
      const t = setTimeout(() => {
        timers.delete(t);
        write();
      }, reply.delayMs);
      timers.add(t);
    } else write();
  }

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    setDefault: (reply) => {
      fallback = reply;
    },
    setFixed: (path, reply) => {
      fixed[path] = reply;
    },
    waitForRequests: (n) =>
      requests.length >= n ? Promise.resolve(requests.slice()) : new Promise((resolve) => waiters.push({ n, resolve })),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type FakeOllama = ScriptedServer;

export function startFakeOllama(): Promise<FakeOllama> {
  return startScriptedServer({
    mainPath: '/api/chat',
    fixed: {
      '/api/version': { json: { version: '0.12.6' } },
      '/api/tags': { json: { models: [{ name: 'llama3.1:8b', model: 'llama3.1:8b', size: 4920753328 }] } },
    },
    unscripted: { status: 500, json: { error: 'fake ollama: no scripted response' } },
  });
}

/** A successful non-streaming /api/chat answer, shaped like Ollama's (durations in nanoseconds). */
export function ollamaChat(
  content: string | object,
  options: { model?: string; promptEvalCount?: number; evalCount?: number } = {},
): ScriptedReply {
  return {
    status: 200,
    json: {
      model: options.model ?? 'llama3.1:8b',
      created_at: '2026-11-25T12:00:00.000000Z',
      message: { role: 'assistant', content: typeof content === 'string' ? content : JSON.stringify(content) },
      done_reason: 'stop',
      done: true,
      total_duration: 1_523_000_000,
      load_duration: 12_000_000,
      prompt_eval_count: options.promptEvalCount ?? 812,
      prompt_eval_duration: 410_000_000,
      eval_count: options.evalCount ?? 154,
      eval_duration: 1_100_000_000,
    },
  };
}

/** Byte-exact to CONTRACTS §3. */
export const ollamaModelNotFound = (model: string): ScriptedReply => ({
  status: 404,
  body: `{"error":"model '${model}' not found"}`,
});

export const ollamaError = (status: number, message: string): ScriptedReply => ({
  status,
  body: JSON.stringify({ error: message }),
});
