// Posts a payload to a Discord webhook (CONTRACTS.md §5) with ?wait=true so Discord validates it and returns the
// message id. Every request takes a turn from the client's rate limiter (discord-rate-limiter.ts), which all
// concurrent sends share: a 429 or a spent bucket holds back every send to that webhook (or to all, when global)
// instead of each send retrying on its own. 5xx, timeouts and network errors retry after 1 s then 3 s; other 4xx are
// configuration errors and never retried. The webhook URL holds a secret token: it never appears in errors or logs.
import { OutboundError } from '../http/outbound-error.ts';
import type { Logger } from '../observability/logger.ts';
import {
  createDiscordRateLimiter,
  type DiscordRateLimitStatus,
  type RateLimitBlock,
  type RateLimitOutcome,
  type RateLimitTurn,
  RateLimitWaitTooLong,
} from './discord-rate-limiter.ts';
import type { DiscordWebhookPayload, Notifier, NotifyChannel, SendOptions, SendResult } from './types.ts';

export type DiscordErrorClass = 'discord_config' | 'discord_unavailable';

/** `retryable`: the pipeline may retry the job later; configuration errors need a human. */
export class DiscordError extends OutboundError<DiscordErrorClass> {
  override readonly name = 'DiscordError';
  /** Discord's JSON error code, e.g. 10015 Unknown Webhook, 50035 Invalid Form Body. */
  readonly discordCode: number | null;
  readonly attempts: number;
  readonly channel: NotifyChannel;

  constructor(
    errorClass: DiscordErrorClass,
    message: string,
    details: { status: number | null; discordCode: number | null; attempts: number; channel: NotifyChannel },
  ) {
    super(errorClass, message, { retryable: errorClass === 'discord_unavailable', status: details.status });
    this.discordCode = details.discordCode;
    this.attempts = details.attempts;
    this.channel = details.channel;
  }
}

export interface DiscordClientOptions {
  webhookUrl: string;
  criticalWebhookUrl?: string | null;
  /** Per request, including reading the body. */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  /** Waits (server retries and rate limits). A fake sleep must advance a fake `now`. */
  sleep?: (ms: number) => Promise<void>;
  /** Monotonic milliseconds for rate-limit blocks; performance.now() by default. */
  now?: () => number;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Waits after a 5xx, timeout or network error; one retry per entry. */
  serverRetryDelaysMs?: number[];
  /** 429s one send may receive before it gives up (retryable). */
  maxRateLimitRetries?: number;
  /**
   * A longer rate-limit wait than this is not waited out here: the send fails retryably and the job is retried
   * later. The limiter keeps the block, so other sends fail the same way without calling Discord.
   */
  maxRetryAfterMs?: number;
}

export interface DiscordClient extends Notifier {
  /** Rate-limit state for /health; holds no webhook URL. */
  status(): DiscordRateLimitStatus;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Attempt = { ok: true; status: number; text: string; block: RateLimitBlock | null } | { ok: false; reason: string };

export function createDiscordClient(options: DiscordClientOptions): DiscordClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? defaultSleep;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const serverDelays = options.serverRetryDelaysMs ?? [1000, 3000];
  const maxRateLimitRetries = options.maxRateLimitRetries ?? 5;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  // One per client, and the client is made once per process (pipeline/wiring.ts): all workers share it.
  const limiter = createDiscordRateLimiter({ sleep, ...(options.now ? { now: options.now } : {}) });
  const targets: Record<NotifyChannel, URL | null> = {
    default: postUrl(options.webhookUrl, 'default'),
    critical: options.criticalWebhookUrl ? postUrl(options.criticalWebhookUrl, 'critical') : null,
  };
  const secrets = [options.webhookUrl, options.criticalWebhookUrl, targets.default, targets.critical]
    .filter((v) => v != null)
    .flatMap((v) => secretsOf(String(v)));
  const scrub = (text: string) => secrets.reduce((acc, secret) => acc.split(secret).join('[redacted]'), text);

  async function post(url: URL, body: string, turn: RateLimitTurn): Promise<Attempt> {
    let outcome: RateLimitOutcome = { status: null, headers: null };
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const { status, headers } = response;
      // Headers alone still tell the limiter about the bucket if the body cannot be read.
      outcome = { status, headers };
      // Always read the body to the end so the connection is released, even when we ignore it.
      const text = await response.text().catch((error: unknown) => {
        // Once Discord said 2xx the message exists: a retry would post it twice.
        if (status >= 200 && status < 300) return '';
        throw error;
      });
      if (status === 429) {
        const parsed = parseDiscordError(text);
        outcome = { status, headers, retryAfterSeconds: parsed.retryAfter, global: parsed.global };
      }
      // The turn ends once the answer is complete: until then the request still counts as in flight.
      return { ok: true, status, text, block: turn.release(outcome) };
    } catch (error) {
      turn.release(outcome);
      return { ok: false, reason: describeNetworkError(error) };
    }
  }

  async function send(payload: DiscordWebhookPayload, opts: SendOptions): Promise<SendResult> {
    const channel: NotifyChannel = opts.critical && targets.critical ? 'critical' : 'default';
    const url = targets[channel] ?? targets.default!;
    const body = JSON.stringify(payload);
    let attempts = 0;
    let serverRetries = 0;
    let rateLimitRetries = 0;
    const fail = (cls: DiscordErrorClass, message: string, status: number | null, code: number | null) =>
      new DiscordError(cls, scrub(message), { status, discordCode: code, attempts, channel });

    for (;;) {
      let turn: RateLimitTurn;
      try {
        turn = await limiter.acquire(url.href, maxRetryAfterMs);
      } catch (error) {
        if (!(error instanceof RateLimitWaitTooLong)) throw error;
        // Another send met a long block: waiting it out would hold a worker, calling Discord would earn a 429.
        throw fail(
          'discord_unavailable',
          `Discord rate limited${error.global ? ' (global)' : ''}: not sent, retry after ${error.waitMs} ms`,
          429,
          null,
        );
      }
      attempts += 1;
      const attempt = await post(url, body, turn);

      if (!attempt.ok) {
        const delay = serverDelays[serverRetries];
        if (delay === undefined) {
          throw fail(
            'discord_unavailable',
            `Discord unreachable after ${attempts} attempts: ${attempt.reason}`,
            null,
            null,
          );
        }
        serverRetries += 1;
        options.logger?.warn(
          { channel, attempt: attempts, reason: scrub(attempt.reason), wait_ms: delay },
          'discord retry',
        );
        await sleep(delay);
        continue;
      }

      const { status, text } = attempt;
      if (status >= 200 && status < 300) {
        const messageId = parseMessageId(text);
        options.logger?.info({ channel, attempts, message_id: messageId }, 'discord message posted');
        return { messageId, channel, attempts };
      }

      const error = parseDiscordError(text);
      if (status === 429) {
        // The limiter holds this block for every send; the next acquire waits it out (or fails when too long).
        const { waitMs, global, scope } = attempt.block ?? { waitMs: 0, global: false, scope: null };
        if (rateLimitRetries >= maxRateLimitRetries || waitMs > maxRetryAfterMs) {
          throw fail('discord_unavailable', `Discord rate limited (retry after ${waitMs} ms)`, status, error.code);
        }
        rateLimitRetries += 1;
        options.logger?.warn({ channel, attempt: attempts, status, wait_ms: waitMs, global, scope }, 'discord retry');
        continue;
      }
      if (status >= 500) {
        const delay = serverDelays[serverRetries];
        if (delay === undefined) {
          throw fail(
            'discord_unavailable',
            `Discord answered ${status} after ${attempts} attempts`,
            status,
            error.code,
          );
        }
        serverRetries += 1;
        options.logger?.warn({ channel, attempt: attempts, status, wait_ms: delay }, 'discord retry');
        await sleep(delay);
        continue;
      }
      const detail = [error.code != null ? `code ${error.code}` : null, error.message, error.errorPaths]
        .filter(Boolean)
        .join(': ');
      // Which webhook (channel) is misconfigured, for the operator; the URL itself is a secret and stays out.
      options.logger?.warn({ channel, status, discord_code: error.code ?? null }, 'discord refused the webhook');
      throw fail(
        'discord_config',
        `Discord rejected the webhook request (${status})${detail ? ` ${detail}` : ''}`,
        status,
        error.code,
      );
    }
  }

  return { send, status: () => limiter.status() };
}

function postUrl(raw: string, channel: NotifyChannel): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DiscordError('discord_config', `The ${channel} Discord webhook URL is not a valid URL`, {
      status: null,
      discordCode: null,
      attempts: 0,
      channel,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new DiscordError('discord_config', `The ${channel} Discord webhook URL must be http(s)`, {
      status: null,
      discordCode: null,
      attempts: 0,
      channel,
    });
  }
  // Keep thread_id and any other parameter; wait=true makes Discord validate the message and return it.
  url.searchParams.set('wait', 'true');
  return url;
}

/** The URL itself and its path segments long enough to be a token, so they can be scrubbed from any text. */
function secretsOf(url: string): string[] {
  const segments = url.split(/[/?#&=]/).filter((s) => s.length >= 20);
  return [url, ...segments];
}

interface ParsedDiscordError {
  code: number | null;
  message: string | null;
  retryAfter: number | null;
  global: boolean;
  /** For 50035: the first few invalid paths, e.g. "embeds.0.fields.2.value". */
  errorPaths: string | null;
}

function parseDiscordError(text: string): ParsedDiscordError {
  const parsed: ParsedDiscordError = { code: null, message: null, retryAfter: null, global: false, errorPaths: null };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return parsed;
  }
  if (!json || typeof json !== 'object') return parsed;
  const obj = json as Record<string, unknown>;
  if (typeof obj.code === 'number') parsed.code = obj.code;
  if (typeof obj.message === 'string') parsed.message = obj.message.slice(0, 200);
  if (typeof obj.retry_after === 'number' && Number.isFinite(obj.retry_after)) parsed.retryAfter = obj.retry_after;
  parsed.global = obj.global === true;
  if (obj.errors && typeof obj.errors === 'object') {
    const paths = errorPaths(obj.errors as Record<string, unknown>, []);
    if (paths.length > 0) parsed.errorPaths = paths.slice(0, 3).join(', ');
  }
  return parsed;
}

/** Discord nests errors by path and marks leaves with `_errors: [{code, message}]`. */
function errorPaths(node: Record<string, unknown>, path: string[]): string[] {
  const found: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === '_errors' && Array.isArray(value)) {
      const first = value[0] as { message?: unknown } | undefined;
      found.push(`${path.join('.')}${typeof first?.message === 'string' ? ` (${first.message.slice(0, 100)})` : ''}`);
    } else if (value && typeof value === 'object') {
      found.push(...errorPaths(value as Record<string, unknown>, [...path, key]));
    }
  }
  return found;
}

function parseMessageId(text: string): string | null {
  if (text.trim() === '') return null;
  try {
    const json = JSON.parse(text) as { id?: unknown };
    return typeof json.id === 'string' ? json.id : null;
  } catch {
    // Posted but unreadable: retrying would post a duplicate, so this still counts as sent.
    return null;
  }
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timeout';
    const cause = (error as { cause?: { code?: unknown } }).cause;
    if (cause && typeof cause.code === 'string') return cause.code;
    return error.name;
  }
  return 'unknown error';
}
