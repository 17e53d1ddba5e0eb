// Loaded into every test file's process by scripts/test.ts (`--import`). After the file's last `after` hook it fails
// the file, naming what its tests left open: servers, sockets, child processes and ref'ed timers (anything that keeps
// the process alive), PostgreSQL connections (pool clients included) and running graphile-worker pools. Without it a
// leak shows as a file that never ends until the runner's 3-minute timeout, naming nothing.
// After naming them it closes what it found, so the failure is reported at once instead of hanging.
import { AsyncResource } from 'node:async_hooks';
import Module from 'node:module';
import { relative } from 'node:path';
import { after, beforeEach } from 'node:test';
import type { WorkerPool } from 'graphile-worker';
import type pg from 'pg';

/** How long the file's own closing (a server's last sockets, a pool's last clients) may take to settle. */
const SETTLE_MS = 2_000;

export interface Leak {
  /** e.g. "a server listening on 127.0.0.1:41234". */
  what: string;
  close(): void;
}

const timers = new Set<NodeJS.Timeout>();
const ownTimers = new WeakSet<NodeJS.Timeout>();
const clients = new Set<pg.Client>();

// Timers and PostgreSQL clients cannot be listed after the fact, so the ones made from now on are remembered.
function trackTimers(): void {
  for (const name of ['setTimeout', 'setInterval'] as const) {
    const original = globalThis[name] as (...args: unknown[]) => NodeJS.Timeout;
    const tracked = (...args: unknown[]) => {
      const timer = original(...args);
      if (timers.size > 1_000) for (const t of timers) if (isDone(t)) timers.delete(t);
      timers.add(timer);
      return timer;
    };
    Object.assign(globalThis, { [name]: Object.assign(tracked, original) });
  }
}

// pg and graphile-worker are looked at only in files that load them: importing them here would cost every unit test
// file a second of start-up.
const modules = Module as unknown as {
  _load: (request: string, ...rest: unknown[]) => unknown;
  _cache: Record<string, { exports: unknown } | undefined>;
};

function trackClients(): void {
  const load = modules._load;
  let patched = false;
  modules._load = function (this: unknown, request: string, ...rest: unknown[]) {
    const exports = load.call(this, request, ...rest);
    if (!patched && (request === 'pg' || /[\\/]node_modules[\\/]pg[\\/]lib[\\/]index\.js$/.test(request))) {
      patched = true;
      patchConnect((exports as typeof pg).Client);
    }
    return exports;
  };
}

function patchConnect(Client: typeof pg.Client): void {
  const connect = Client.prototype.connect as (this: pg.Client, ...args: unknown[]) => unknown;
  Client.prototype.connect = function (this: pg.Client, ...args: unknown[]) {
    clients.add(this);
    this.once('end', () => clients.delete(this));
    return connect.apply(this, args);
  } as typeof Client.prototype.connect;
}

/** graphile-worker's own list of its running worker pools, if the file loaded it. */
function workerPools(): WorkerPool[] {
  for (const [path, loaded] of Object.entries(modules._cache)) {
    if (/[\\/]graphile-worker[\\/]dist[\\/]main\.js$/.test(path)) {
      return (loaded?.exports as { _allWorkerPools?: WorkerPool[] } | undefined)?._allWorkerPools ?? [];
    }
  }
  return [];
}

interface TimerInternals {
  _destroyed?: boolean;
  _idleTimeout?: number;
  _repeat?: number | null;
  _onTimeout?: { name?: string };
}

function isDone(timer: NodeJS.Timeout): boolean {
  return (timer as unknown as TimerInternals)._destroyed === true;
}

function describeTimer(timer: NodeJS.Timeout): string {
  const t = timer as unknown as TimerInternals;
  const kind = t._repeat ? 'setInterval' : 'setTimeout';
  return `a ${kind} of ${Math.round(t._idleTimeout ?? 0)} ms (${t._onTimeout?.name || 'anonymous function'})`;
}

interface ClientInternals {
  connectionParameters?: { application_name?: string };
  connection?: { stream?: import('node:net').Socket };
}

function clientSocket(client: pg.Client) {
  return (client as unknown as ClientInternals).connection?.stream;
}

function describeClient(client: pg.Client): string {
  const internals = client as unknown as ClientInternals;
  const application = internals.connectionParameters?.application_name;
  return `a PostgreSQL connection to database ${client.database}${application ? ` (${application})` : ''}`;
}

function isStdio(handle: Handle): boolean {
  const fd = handle.fd ?? handle._handle?.fd;
  return fd !== undefined && fd >= 0 && fd <= 2;
}

function isRefed(handle: Handle): boolean {
  return handle._handle?.hasRef?.() ?? true;
}

// node:net, node:child_process objects as process._getActiveHandles() returns them.
interface Handle {
  constructor: { name: string };
  fd?: number;
  _handle?: { fd?: number; hasRef?: () => boolean } | null;
  address?: () => { address: string; port: number } | string | null;
  listening?: boolean;
  remoteAddress?: string;
  remotePort?: number;
  pid?: number;
  spawnargs?: string[];
  close?: () => void;
  destroy?: () => void;
  kill?: (signal: string) => void;
}

function describeHandle(handle: Handle): Leak | null {
  if (typeof handle.listening === 'boolean' && handle.address) {
    const address = handle.address();
    const where = typeof address === 'string' ? address : `${address?.address}:${address?.port}`;
    const server = handle as Handle & { closeAllConnections?: () => void };
    return {
      what: `a server listening on ${where}`,
      close: () => {
        server.close?.();
        server.closeAllConnections?.();
      },
    };
  }
  if (typeof handle.pid === 'number' && handle.kill) {
    const command = (handle.spawnargs ?? []).join(' ').slice(0, 120);
    return { what: `child process ${handle.pid} (${command})`, close: () => handle.kill?.('SIGKILL') };
  }
  if (handle.destroy) {
    const peer = handle.remoteAddress ? ` to ${handle.remoteAddress}:${handle.remotePort}` : '';
    return { what: `an open socket${peer}`, close: () => handle.destroy?.() };
  }
  return { what: `an open ${handle.constructor.name} handle`, close: () => handle.close?.() };
}

/** Everything the process still holds open, except stdio and unref'ed handles. */
export function findLeaks(): Leak[] {
  const leaks: Leak[] = [];
  for (const pool of workerPools()) {
    leaks.push({
      what: `a running graphile-worker pool (${pool.id})`,
      close: () => void Promise.resolve(pool.forcefulShutdown('leak check')).catch(() => {}),
    });
  }
  const pgSockets = new Set<unknown>();
  for (const client of clients) {
    const socket = clientSocket(client);
    if (socket?.destroyed) continue;
    pgSockets.add(socket);
    leaks.push({ what: describeClient(client), close: () => void client.end().catch(() => {}) });
  }
  const handles = (process as unknown as { _getActiveHandles(): Handle[] })._getActiveHandles();
  for (const handle of handles) {
    if (isStdio(handle) || !isRefed(handle) || pgSockets.has(handle)) continue;
    const leak = describeHandle(handle);
    if (leak) leaks.push(leak);
  }
  for (const timer of timers) {
    if (isDone(timer) || ownTimers.has(timer) || !timer.hasRef()) continue;
    leaks.push({ what: describeTimer(timer), close: () => clearTimeout(timer) });
  }
  return leaks;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => ownTimers.add(setTimeout(resolve, ms)));
}

/** Waits up to `settleMs` for the file's closing to finish; then names what is still open and closes it. */
export async function checkForLeaks(settleMs = SETTLE_MS): Promise<void> {
  const deadline = Date.now() + settleMs;
  let leaks = findLeaks();
  while (leaks.length > 0 && Date.now() < deadline) {
    await pause(25);
    leaks = findLeaks();
  }
  if (leaks.length === 0) return;
  const file = relative(process.cwd(), process.argv[1] ?? 'this file');
  const message = `leak check: ${file} left open after its tests:\n${leaks.map((leak) => `  - ${leak.what}`).join('\n')}`;
  for (const leak of leaks) leak.close();
  // node:test reports the failure once the process is about to exit. Should what was closed not let it (something
  // reopens), end it here, with the message, rather than hang the run.
  const exit = setTimeout(() => {
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }, 10_000);
  exit.unref();
  ownTimers.add(exit);
  throw new Error(message);
}

// Only in a test file's own process (the runner's parent process holds its children's pipes).
if (process.env.NODE_TEST_CONTEXT?.startsWith('child')) {
  trackTimers();
  trackClients();
  // The check must run after the file's own `after` hooks, registered while the file loads (after this module), so
  // it is added when the first test starts. node:test gives a hook to the test whose async context registers it, so
  // it is added from a context of its own, which node:test gives to the root.
  const outside = new AsyncResource('leak-check');
  let added = false;
  beforeEach(() => {
    if (added) return;
    added = true;
    outside.runInAsyncScope(() => after(() => checkForLeaks()));
  });
}
