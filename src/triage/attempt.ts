// One provider attempt's parts, used by the chain (chain.ts): the prompt as sent (built once per redaction), the meter
// that sums latency and tokens over an attempt's calls, the call itself, the attempt record and its log lines.
import type { NormalizedTicket } from '../domain/ticket.ts';
import { triageJsonSchema } from '../domain/triage-output.ts';
import type { FailureClass, ProviderAttempt, ProviderName, TokenUsage } from '../domain/triage-result.ts';
import type { Logger } from '../observability/logger.ts';
import type { CircuitBreaker } from './breaker.ts';
import type { ChainProvider } from './chain.ts';
import { type BuiltPrompt, buildPrompt } from './prompt.ts';
import {
  ProviderError,
  type ProviderRequest,
  type ProviderResponse,
  type TriageProvider,
} from './providers/provider.ts';
import { redactSecrets } from './redact.ts';
import type { SopChunk } from './sop.ts';

export interface SentPrompt {
  prompt: BuiltPrompt;
  ticket: NormalizedTicket;
}

/** The prompt as sent, built at most twice per run: with the ticket as is, and redacted (for a cloud LLM). */
export function createPromptCache(
  ticket: NormalizedTicket,
  promptOptions: { sopText?: string; contextTokens?: number; sopChunks?: SopChunk[] },
) {
  const prompts = new Map<boolean, SentPrompt>();
  return {
    get(redact: boolean): SentPrompt {
      let entry = prompts.get(redact);
      if (!entry) {
        const sent = redact ? redactTicket(ticket) : ticket;
        entry = { prompt: buildPrompt(sent, promptOptions), ticket: sent };
        prompts.set(redact, entry);
      }
      return entry;
    },
  };
}

export interface CallMeter {
  model: string;
  latencyMs: number;
  calls: number[];
  usage: TokenUsage;
  record(latencyMs: number, response?: ProviderResponse): void;
}

/** Sums latency and tokens over the calls of one attempt (first answer and repair) and keeps each call's latency. */
export function createMeter(model: string): CallMeter {
  return {
    model,
    latencyMs: 0,
    calls: [],
    usage: { promptTokens: 0, completionTokens: 0 },
    record(latencyMs, response) {
      this.latencyMs += latencyMs;
      this.calls.push(Math.round(latencyMs));
      if (!response) return;
      this.usage.promptTokens += response.usage.promptTokens;
      this.usage.completionTokens += response.usage.completionTokens;
      this.model = response.model;
    },
  };
}

/** One provider call. A provider-side schema rejection (Groq json_validate_failed) comes back as text to repair. */
export async function callForText(
  provider: TriageProvider,
  request: ProviderRequest,
  signal: AbortSignal | undefined,
  meter: CallMeter,
): Promise<string> {
  try {
    const response = await provider.complete(request, triageJsonSchema, signal);
    meter.record(response.latencyMs, response);
    return response.text;
  } catch (error) {
    if (!(error instanceof ProviderError) || error.failedGeneration === undefined) throw error;
    meter.record(error.latencyMs ?? 0);
    return error.failedGeneration;
  }
}

/** Holds a failed call against the provider's breaker, unless the caller aborted it or it was a bug of ours. */
export function settleFailure(breaker: CircuitBreaker, error: ProviderError, internal = false): void {
  if (error.callerAborted || internal) breaker.release();
  else {
    const retry = error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs };
    breaker.recordFailure({ reason: error.errorClass, ...retry });
  }
}

export function attempt(
  provider: ProviderName,
  model: string | null,
  outcome: ProviderAttempt['outcome'],
  failureClass: FailureClass | null,
  message: string | null,
  latencyMs: number,
  repairAttempted: boolean,
  callLatenciesMs: number[] = [],
): ProviderAttempt {
  const rounded = Math.round(latencyMs);
  return { provider, model, outcome, failureClass, message, latencyMs: rounded, repairAttempted, callLatenciesMs };
}

/** Whether a provider gets the ticket redacted: its own setting, else a cloud LLM's when redactForCloud is set. */
export function sendsRedacted(entry: Pick<ChainProvider, 'kind' | 'redact'>, redactForCloud: boolean): boolean {
  return entry.redact ?? (redactForCloud && entry.kind === 'cloud_llm');
}

export function redactTicket(ticket: NormalizedTicket): NormalizedTicket {
  return { ...ticket, subject: redactSecrets(ticket.subject).text, body: redactSecrets(ticket.body).text };
}

/** A bug: its stack frames, but not its message, which may quote model output (and so ticket text). */
export function logInternal(logger: Logger, ticket: NormalizedTicket, provider: ProviderName, error: unknown): void {
  const stack = error instanceof Error ? (error.stack ?? '').split('\n').slice(1).join('\n') : '';
  logger.error(
    {
      ticket_id: ticket.ticket_id,
      provider,
      err: { type: (error as Error)?.name ?? typeof error, stack },
    },
    'triage provider internal error',
  );
}

export function logFailure(
  logger: Logger,
  ticket: NormalizedTicket,
  provider: ProviderName,
  model: string | null,
  latencyMs: number,
  failureClass: FailureClass,
  message: string,
): void {
  logger.warn(
    {
      ticket_id: ticket.ticket_id,
      provider,
      model,
      latency_ms: Math.round(latencyMs),
      failure_class: failureClass,
      reason: message,
    },
    'triage provider failed',
  );
}
