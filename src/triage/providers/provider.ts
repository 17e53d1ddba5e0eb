// The one small interface every triage provider implements, its classified error, and the HTTP helper the two LLM
// clients share: a timeout combined with the caller's signal, redirects not followed, the body always consumed, and
// every transport failure mapped to a FailureClass the chain and the breaker understand.

import type { NormalizedTicket } from '../../domain/ticket.ts';
import type { FailureClass, ProviderName, TokenUsage } from '../../domain/triage-result.ts';
import { OutboundError } from '../../http/outbound-error.ts';

export interface ProviderRequest {
  system: string;
  user: string;
  /** The ticket itself, for providers that do not read prompts (rules). LLM clients ignore it. */
  ticket?: NormalizedTicket;
  /** Output tokens for this call (num_predict / max_tokens); absent = the client's own setting (1024). */
  maxTokens?: number;
  /** Name of the JSON Schema for OpenAI-style structured output; absent = "ticket_triage". */
  schemaName?: string;
}

export interface ProviderResponse {
  text: string;
  usage: TokenUsage;
  latencyMs: number;
  model: string;
}

export interface TriageProvider {
  readonly name: ProviderName;
  readonly model: string;
  /** Where it sends requests (no credentials in it; absent for the rules engine), for operators and diagnostics. */
  readonly endpoint?: string;
  complete(request: ProviderRequest, jsonSchema: object, signal?: AbortSignal): Promise<ProviderResponse>;
}

export interface ProviderErrorOptions {
  status?: number;
  retryAfterMs?: number;
  /** Raw model text the provider rejected (Groq json_validate_failed): the chain repairs it instead of failing. */
  failedGeneration?: string;
  /** The caller's signal aborted the call: not the provider's fault, so it must not count against its breaker. */
  callerAborted?: boolean;
  latencyMs?: number;
  cause?: unknown;
}

/** `retryable`: the provider may answer later (the chain falls back now either way). */
export class ProviderError extends OutboundError<FailureClass> {
  readonly retryAfterMs: number | undefined;
  readonly failedGeneration: string | undefined;
  readonly callerAborted: boolean;
  readonly latencyMs: number | undefined;

  constructor(failureClass: FailureClass, message: string, options: ProviderErrorOptions = {}) {
    super(failureClass, message, {
      retryable: RETRYABLE_FAILURES.has(failureClass),
      status: options.status ?? null,
      cause: options.cause,
    });
    this.name = 'ProviderError';
    this.retryAfterMs = options.retryAfterMs;
    this.failedGeneration = options.failedGeneration;
    this.callerAborted = options.callerAborted ?? false;
    this.latencyMs = options.latencyMs;
  }
}

const RETRYABLE_FAILURES = new Set<FailureClass>(['timeout', 'connection', 'http_5xx', 'rate_limited', 'circuit_open']);

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
  latencyMs: number;
}

/** POSTs JSON; resolves for any HTTP status (the caller classifies it), throws ProviderError for transport failures. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HttpResult> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([timeout, signal]) : timeout;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: combined,
      // A Cloudflare Access login page answers with a redirect; following it would look like a 200 HTML success.
      redirect: 'manual',
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: tryParse(text), latencyMs: elapsed() };
  } catch (error) {
    if (signal?.aborted && !timeout.aborted) {
      throw new ProviderError('timeout', 'aborted by caller', {
        callerAborted: true,
        latencyMs: elapsed(),
        cause: error,
      });
    }
    if (timeout.aborted) {
      throw new ProviderError('timeout', `no response within ${timeoutMs} ms`, { latencyMs: elapsed(), cause: error });
    }
    const code = errorCode(error);
    throw new ProviderError('connection', `connection failed${code ? ` (${code})` : ''}`, {
      latencyMs: elapsed(),
      cause: error,
    });
  }
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorCode(error: unknown): string | null {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : null;
}

export { parseRetryAfter } from '../../http/retry-after.ts';

/** Classifies statuses both LLM clients treat alike; returns null for the ones each client interprets itself. */
export function classifyStatus(status: number): FailureClass | null {
  if (status >= 300 && status < 400) return 'auth';
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'http_5xx';
  return null;
}
