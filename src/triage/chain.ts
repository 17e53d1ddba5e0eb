// The provider chain (ARCHITECTURE D6): tries providers in the given order, skipping open circuits without waiting,
// repairs an invalid output once with the same provider, falls back on any failure, and runs the policy guard on the
// output it keeps. run() never throws: it ends in a TriageSuccess or a typed TriageFailure.
import type { NormalizedTicket } from '../domain/ticket.ts';
import { triageJsonSchema } from '../domain/triage-output.ts';
import type {
  FailureClass,
  FallbackReason,
  GuardIntervention,
  ProviderAttempt,
  ProviderName,
  TokenUsage,
  TriageFailure,
  TriageResult,
} from '../domain/triage-result.ts';
import type { Logger } from '../observability/logger.ts';
import type { CircuitBreaker } from './breaker.ts';
import { applyPolicyGuard } from './guard.ts';
import { parseTriageOutput } from './parse.ts';
import { type BuiltPrompt, buildPrompt, buildRepairPrompt, promptVersionFor } from './prompt.ts';
import {
  ProviderError,
  type ProviderRequest,
  type ProviderResponse,
  type TriageProvider,
} from './providers/provider.ts';
import { redactSecrets } from './redact.ts';

export interface ChainProvider {
  name: ProviderName;
  /** null = configured off (e.g. groq without an API key): recorded as a 'disabled' skip. */
  provider: TriageProvider | null;
  breaker: CircuitBreaker;
  /** What kind of engine it is: a cloud LLM gets redacted tickets by default, /health reports local and cloud apart. */
  kind?: ProviderKind;
  /** Redact secrets before sending; defaults to true for a cloud LLM when redactForCloud is set, false otherwise. */
  redact?: boolean;
}

export type ProviderKind = 'local_llm' | 'cloud_llm' | 'rules';

export interface TriageChainOptions {
  providers: ChainProvider[];
  logger: Logger;
  /** Monotonic milliseconds for latencies (performance.now in production). */
  now: () => number;
  redactForCloud: boolean;
  sopText?: string;
  contextTokens?: number;
}

export interface TriageChain {
  run(ticket: NormalizedTicket, signal?: AbortSignal): Promise<TriageResult>;
  /** Circuit state per provider for /health. */
  circuits(): {
    name: ProviderName;
    kind: ProviderKind | null;
    enabled: boolean;
    state: ReturnType<CircuitBreaker['state']>;
  }[];
  readonly promptVersion: string;
}

const RAW_OUTPUT_MAX = 500;

export function createTriageChain(options: TriageChainOptions): TriageChain {
  const { logger, now } = options;
  const promptVersion = promptVersionFor(options.sopText);
  const promptOptions = {
    ...(options.sopText === undefined ? {} : { sopText: options.sopText }),
    ...(options.contextTokens === undefined ? {} : { contextTokens: options.contextTokens }),
  };

  async function run(ticket: NormalizedTicket, signal?: AbortSignal): Promise<TriageResult> {
    const started = now();
    const attempts: ProviderAttempt[] = [];
    const fallbackReasons: FallbackReason[] = [];
    let lastProvider: ProviderName | null = null;
    let rawOutput: string | null = null;
    let lastError: { cls: FailureClass; message: string } | null = null;
    const prompts = new Map<boolean, { prompt: BuiltPrompt; ticket: NormalizedTicket }>();
    const promptFor = (redact: boolean) => {
      let entry = prompts.get(redact);
      if (!entry) {
        const sent = redact ? redactTicket(ticket) : ticket;
        entry = { prompt: buildPrompt(sent, promptOptions), ticket: sent };
        prompts.set(redact, entry);
      }
      return entry;
    };
    const failure = (errorClass: FailureClass, errorMessage: string): TriageFailure => ({
      ok: false,
      errorClass,
      errorMessage,
      lastProvider,
      rawOutput: rawOutput === null ? null : rawOutput.slice(0, RAW_OUTPUT_MAX),
      attempts,
      fallbackReasons,
      promptVersion,
      latencyMs: now() - started,
    });

    if (options.providers.length === 0) return failure('no_provider', 'no triage provider is configured');

    for (const entry of options.providers) {
      if (signal?.aborted) return failure('timeout', 'triage aborted by caller');
      const skip = (reason: FailureClass, message: string) => {
        attempts.push(attempt(entry.name, entry.provider?.model ?? null, 'skipped', reason, message, 0, false));
        fallbackReasons.push({ provider: entry.name, reason });
        logger.info(
          { ticket_id: ticket.ticket_id, provider: entry.name, failure_class: reason },
          'triage provider skipped',
        );
      };
      if (!entry.provider) {
        skip('disabled', 'provider not configured');
        continue;
      }
      if (!entry.breaker.tryAcquire()) {
        skip('circuit_open', 'circuit open');
        continue;
      }
      const provider = entry.provider;
      const { prompt, ticket: sentTicket } = promptFor(
        entry.redact ?? (options.redactForCloud && entry.kind === 'cloud_llm'),
      );
      let repairAttempted = false;
      const meter = createMeter(provider.model);

      try {
        let text = await callForText(provider, { ...prompt, ticket: sentTicket }, signal, meter);
        lastProvider = entry.name;
        rawOutput = text;
        let parsed = parseTriageOutput(text);
        if (!parsed.ok) {
          repairAttempted = true;
          const repair = buildRepairPrompt(prompt, text, parsed.errors);
          text = await callForText(provider, { ...repair, ticket: sentTicket }, signal, meter);
          rawOutput = text;
          parsed = parseTriageOutput(text);
        }
        const { model, latencyMs, calls, usage } = meter;
        // The provider answered: as far as availability goes that is a success, even if the answer is unusable.
        entry.breaker.recordSuccess();
        if (!parsed.ok) {
          const message = `output invalid after repair: ${parsed.errors.slice(0, 3).join('; ')}`;
          attempts.push(attempt(entry.name, model, 'failed', 'invalid_output', message, latencyMs, true, calls));
          fallbackReasons.push({ provider: entry.name, reason: 'invalid_output' });
          lastError = { cls: 'invalid_output', message };
          logFailure(logger, ticket, entry.name, model, latencyMs, 'invalid_output', 'invalid output after repair');
          continue;
        }
        attempts.push(attempt(entry.name, model, 'ok', null, null, latencyMs, repairAttempted, calls));
        const notes: GuardIntervention[] = [...prompt.interventions, ...parsed.interventions];
        // Parse/prompt notes go in before the guard appends its own, so the human reads causes before consequences.
        const guarded = applyPolicyGuard(ticket, {
          ...parsed.output,
          internal_notes: [...parsed.output.internal_notes, ...notes.map((n) => n.detail)],
        });
        const { output } = guarded;
        logger.info(
          {
            ticket_id: ticket.ticket_id,
            provider: entry.name,
            model,
            latency_ms: Math.round(latencyMs),
            repaired: repairAttempted,
            fallbacks: fallbackReasons.length,
            interventions: guarded.interventions.map((i) => i.kind),
          },
          'triage completed',
        );
        return {
          ok: true,
          output,
          provider: entry.name,
          model,
          repaired: repairAttempted,
          usage,
          interventions: [...notes, ...guarded.interventions],
          warnings: guarded.warnings,
          securityEscalation: guarded.securityEscalation,
          attempts,
          fallbackReasons,
          promptVersion,
          latencyMs: now() - started,
        };
      } catch (error) {
        // Anything but a ProviderError is a bug of ours, not the provider's failing: it falls back like a failure,
        // but is never held against the provider's breaker, and is logged with its stack.
        const internal = !(error instanceof ProviderError);
        const pe = internal
          ? new ProviderError('internal', `internal error: ${(error as Error)?.name ?? 'unknown'}`)
          : error;
        if (internal) logInternal(logger, ticket, entry.name, error);
        if (pe.callerAborted || internal) entry.breaker.release();
        else entry.breaker.recordFailure(pe.retryAfterMs === undefined ? undefined : { retryAfterMs: pe.retryAfterMs });
        meter.record(pe.latencyMs ?? 0);
        const { model, latencyMs, calls } = meter;
        attempts.push(
          attempt(entry.name, model, 'failed', pe.errorClass, pe.message, latencyMs, repairAttempted, calls),
        );
        fallbackReasons.push({ provider: entry.name, reason: pe.errorClass });
        lastError = { cls: pe.errorClass, message: `${entry.name}: ${pe.message}` };
        logFailure(logger, ticket, entry.name, model, latencyMs, pe.errorClass, pe.message);
        if (pe.callerAborted) return failure('timeout', 'triage aborted by caller');
      }
    }

    const everySkipDisabled = attempts.every((a) => a.failureClass === 'disabled');
    if (everySkipDisabled) return failure('no_provider', 'every triage provider is disabled');
    if (lastError) return failure(lastError.cls, lastError.message);
    return failure('circuit_open', 'every enabled provider has an open circuit');
  }

  return {
    run: (ticket, signal) =>
      run(ticket, signal).catch((error: unknown) => {
        // Last line of defence for the never-throws contract (a bug in the guard or parser, not a provider failure).
        logger.error({ ticket_id: ticket.ticket_id, err: (error as Error)?.message }, 'triage chain crashed');
        return failureWithoutAttempts('internal', 'internal error in the triage chain', promptVersion);
      }),
    circuits: () =>
      options.providers.map((p) => ({
        name: p.name,
        kind: p.kind ?? null,
        enabled: p.provider !== null,
        state: p.breaker.state(),
      })),
    promptVersion,
  };
}

interface CallMeter {
  model: string;
  latencyMs: number;
  calls: number[];
  usage: TokenUsage;
  record(latencyMs: number, response?: ProviderResponse): void;
}

/** Sums latency and tokens over the calls of one attempt (first answer and repair) and keeps each call's latency. */
function createMeter(model: string): CallMeter {
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
async function callForText(
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

function attempt(
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

function redactTicket(ticket: NormalizedTicket): NormalizedTicket {
  return { ...ticket, subject: redactSecrets(ticket.subject).text, body: redactSecrets(ticket.body).text };
}

/** A bug: its stack frames, but not its message, which may quote model output (and so ticket text). */
function logInternal(logger: Logger, ticket: NormalizedTicket, provider: ProviderName, error: unknown): void {
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

function logFailure(
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

/** A failure no provider call took part in (the chain itself, or a pipeline step before it). */
export function failureWithoutAttempts(
  errorClass: FailureClass,
  errorMessage: string,
  promptVersion: string,
): TriageFailure {
  return {
    ok: false,
    errorClass,
    errorMessage,
    lastProvider: null,
    rawOutput: null,
    attempts: [],
    fallbackReasons: [],
    promptVersion,
    latencyMs: 0,
  };
}
