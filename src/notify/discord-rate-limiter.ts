// Discord's rate limits for one process: every send takes a turn here before each request and reports Discord's
// answer after it, so concurrent senders share what one of them learnt (X-RateLimit-* on every answer, 429 blocks per
// webhook or global) and queue FIFO behind a single timer instead of each sleeping and retrying into a 429.
// Invariant: towards a webhook that is blocked, exhausted or of unknown state (and, after a global 429, towards any
// webhook) at most one request is in flight; parallel requests resume only after a 2xx with Remaining > 0.
// Routes are keyed by the webhook URL, which is a secret: keys never leave this module.
import { parseRetryAfter } from '../http/retry-after.ts';

/** What one request got back; status null when there was no answer (timeout, network error). */
export interface RateLimitOutcome {
  status: number | null;
  headers: Headers | null;
  /** From a 429's JSON body: retry_after in seconds and the global flag. */
  retryAfterSeconds?: number | null;
  global?: boolean;
}

/** A 429 as the limiter recorded it. */
export interface RateLimitBlock {
  waitMs: number;
  global: boolean;
  scope: string | null;
}

export interface RateLimitTurn {
  /** Call exactly once, after the body was read (or the request failed). Returns the block a 429 set. */
  release(outcome: RateLimitOutcome): RateLimitBlock | null;
}

/** The wait for a turn would be longer than the caller may wait: fail now, retry the job later. */
export class RateLimitWaitTooLong extends Error {
  override readonly name = 'RateLimitWaitTooLong';
  readonly waitMs: number;
  readonly global: boolean;

  constructor(waitMs: number, global: boolean) {
    super(`rate limited for another ${waitMs} ms${global ? ' (global)' : ''}`);
    this.waitMs = waitMs;
    this.global = global;
  }
}

export interface DiscordRateLimitStatus {
  /** Epoch ms until which some webhook (or all of them) may not be called; null when none is blocked. */
  blockedUntil: number | null;
  globalBlocked: boolean;
  lastStatus: number | null;
  /** Epoch ms of the last 429. */
  last429At: number | null;
  queued: number;
  inFlight: number;
}

export interface DiscordRateLimiter {
  /** Resolves when a request towards the route may go; rejects with RateLimitWaitTooLong when blocked longer. */
  acquire(route: string, maxWaitMs: number): Promise<RateLimitTurn>;
  status(): DiscordRateLimitStatus;
}

export interface DiscordRateLimiterOptions {
  /** Milliseconds on a monotonic clock. A fake `sleep` must advance a fake `now`. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Epoch ms, for X-RateLimit-Reset and status(). */
  wallClock?: () => number;
}

interface Gate {
  /** No request before this time (a 429, or a bucket with Remaining 0). */
  blockedUntil: number;
  /** One request at a time: state unknown, or a block just ended; cleared by a 2xx with Remaining > 0. */
  probing: boolean;
  inFlight: number;
  /** Requests left in the bucket's current window as far as we know; null when Discord sent no counters. */
  remaining: number | null;
  /** Counts blocks, so an answer to a request sent before the latest block cannot reopen the gate. */
  blocks: number;
}

interface Waiter {
  route: string;
  maxWaitMs: number;
  resolve: (turn: RateLimitTurn) => void;
  reject: (error: Error) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createDiscordRateLimiter(options: DiscordRateLimiterOptions = {}): DiscordRateLimiter {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? defaultSleep;
  const wallClock = options.wallClock ?? Date.now;
  // A webhook we have not heard from yet starts probing: another process, or this one before a restart, may
  // have spent its bucket.
  const newGate = (): Gate => ({ blockedUntil: 0, probing: true, inFlight: 0, remaining: null, blocks: 0 });
  const global: Gate = { blockedUntil: 0, probing: false, inFlight: 0, remaining: null, blocks: 0 };
  const routes = new Map<string, Gate>();
  const queue: Waiter[] = [];
  let wakeAt: number | null = null;
  let lastStatus: number | null = null;
  let last429At: number | null = null;

  const gateOf = (route: string) => {
    let gate = routes.get(route);
    if (!gate) {
      gate = newGate();
      routes.set(route, gate);
    }
    return gate;
  };

  /** How long a request towards the route must wait for blocks to end (0: not blocked). */
  function blockedFor(gate: Gate, t: number): number {
    return Math.max(0, gate.blockedUntil - t, global.blockedUntil - t);
  }

  function mayGo(gate: Gate): boolean {
    if (global.probing && global.inFlight > 0) return false;
    if (gate.probing) return gate.inFlight === 0;
    // Spent as far as we count: the answers in flight bring the new Remaining (or a block).
    if (gate.remaining !== null && gate.remaining <= 0) return gate.inFlight === 0;
    return true;
  }

  function pump(): void {
    const t = now();
    let nextAt = Number.POSITIVE_INFINITY;
    for (let i = 0; i < queue.length; ) {
      const waiter = queue[i]!;
      const gate = gateOf(waiter.route);
      const wait = blockedFor(gate, t);
      if (wait > waiter.maxWaitMs) {
        queue.splice(i, 1);
        waiter.reject(new RateLimitWaitTooLong(Math.ceil(wait), global.blockedUntil - t >= wait));
        continue;
      }
      if (wait > 0) {
        nextAt = Math.min(nextAt, t + wait);
      } else if (mayGo(gate)) {
        queue.splice(i, 1);
        waiter.resolve(dispatch(gate));
        continue;
      }
      // Waiting behind an earlier request of its route (FIFO), or for an answer in flight to say how many are left.
      i += 1;
    }
    if (nextAt !== Number.POSITIVE_INFINITY && (wakeAt === null || nextAt < wakeAt)) {
      const at = nextAt;
      wakeAt = at;
      // One timer for all waiters; it re-checks the clock, so a timer firing a little early just waits the rest.
      void sleep(Math.max(1, Math.ceil(at - t))).then(() => {
        if (wakeAt === at) wakeAt = null;
        pump();
      });
    }
  }

  function dispatch(gate: Gate): RateLimitTurn {
    gate.inFlight += 1;
    global.inFlight += 1;
    if (!gate.probing && gate.remaining !== null) gate.remaining -= 1;
    const sentAfter = { route: gate.blocks, global: global.blocks };
    let released = false;
    return {
      release(outcome) {
        if (released) return null;
        released = true;
        gate.inFlight -= 1;
        global.inFlight -= 1;
        const block = record(gate, outcome, sentAfter);
        pump();
        return block;
      },
    };
  }

  function block(gate: Gate, until: number): void {
    gate.blockedUntil = Math.max(gate.blockedUntil, until);
    gate.probing = true;
    gate.remaining = null;
    gate.blocks += 1;
  }

  function record(
    gate: Gate,
    outcome: RateLimitOutcome,
    sentAfter: { route: number; global: number },
  ): RateLimitBlock | null {
    const t = now();
    lastStatus = outcome.status;
    const limits = outcome.headers ? readRateLimitHeaders(outcome.headers, wallClock()) : null;
    const status = outcome.status;
    if (status === 429) {
      last429At = wallClock();
      const waitMs = retryAfterMs(outcome, limits);
      const isGlobal = outcome.global === true || limits?.global === true || limits?.scope === 'global';
      block(isGlobal ? global : gate, t + waitMs);
      return { waitMs, global: isGlobal, scope: limits?.scope ?? null };
    }
    const ok = status !== null && status >= 200 && status < 300;
    if (limits?.remaining != null && limits.remaining <= 0) {
      // Spent: nothing more until the bucket resets, then one probe.
      block(gate, t + (limits.resetAfterMs ?? 1000));
      return null;
    }
    // An answer to a request sent before a block began says nothing about the block's end: only the probe sent
    // after it may reopen the gate.
    if (ok && sentAfter.global === global.blocks) global.probing = false;
    if (sentAfter.route !== gate.blocks) return null;
    if (limits?.remaining != null) {
      if (ok || !gate.probing) {
        // Requests still in flight may or may not be counted in this Remaining: assume they are not.
        gate.remaining = Math.max(0, limits.remaining - gate.inFlight);
        gate.probing = false;
      }
    } else if (ok) {
      // No counters at all: Discord imposes no bucket we can see.
      gate.remaining = null;
      gate.probing = false;
    }
    return null;
  }

  return {
    acquire(route, maxWaitMs) {
      return new Promise<RateLimitTurn>((resolve, reject) => {
        queue.push({ route, maxWaitMs, resolve, reject });
        pump();
      });
    },
    status() {
      const t = now();
      const until = Math.max(global.blockedUntil, ...[...routes.values()].map((g) => g.blockedUntil));
      return {
        blockedUntil: until > t ? Math.round(wallClock() + (until - t)) : null,
        globalBlocked: global.blockedUntil > t,
        lastStatus,
        last429At,
        queued: queue.length,
        inFlight: global.inFlight,
      };
    },
  };
}

interface RateLimitHeaders {
  remaining: number | null;
  resetAfterMs: number | null;
  global: boolean;
  scope: string | null;
}

function readRateLimitHeaders(headers: Headers, epochMs: number): RateLimitHeaders {
  const number = (name: string) => {
    const raw = headers.get(name);
    if (raw === null || raw.trim() === '') return null;
    const value = Number(raw);
    return Number.isFinite(value) ? value : null;
  };
  const resetAfter = number('x-ratelimit-reset-after');
  const reset = number('x-ratelimit-reset');
  let resetAfterMs: number | null = null;
  if (resetAfter !== null && resetAfter >= 0) resetAfterMs = Math.ceil(resetAfter * 1000);
  // Reset is an epoch time: only as good as our clock, so Reset-After comes first.
  else if (reset !== null) resetAfterMs = Math.max(0, Math.ceil(reset * 1000 - epochMs));
  return {
    remaining: number('x-ratelimit-remaining'),
    resetAfterMs,
    global: headers.get('x-ratelimit-global')?.toLowerCase() === 'true',
    scope: headers.get('x-ratelimit-scope'),
  };
}

function retryAfterMs(outcome: RateLimitOutcome, limits: RateLimitHeaders | null): number {
  // The body's float is more precise than the header's rounded-up integer.
  const body = outcome.retryAfterSeconds;
  if (body != null && Number.isFinite(body) && body >= 0) return Math.ceil(body * 1000);
  const header = outcome.headers ? parseRetryAfter(outcome.headers.get('retry-after')) : undefined;
  return header ?? limits?.resetAfterMs ?? 1000;
}
