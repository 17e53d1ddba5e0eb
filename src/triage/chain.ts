// The provider chain (ARCHITECTURE D6): tries providers in the given order, skipping open circuits without waiting,
// repairs an invalid output once with the same provider, falls back on any failure, and runs the policy guard on the
// output it keeps. run() never throws: it ends in a TriageSuccess or a typed TriageFailure. Cost guards: obvious
// auto-replies, bounces and spam are decided before any provider (short-circuit.ts), and the cloud provider is
// skipped once its daily token budget is spent (budget.ts). SOP_DIR chunks retrieved for the ticket join the prompt.
// With the LLM security check on, a triage the signals did not escalate is followed by one yes/no question to an LLM
// (security-check.ts), whose yes the guard turns into an escalation.
import type { NormalizedTicket } from '../domain/ticket.ts';
import type {
  FailureClass,
  FallbackReason,
  GuardIntervention,
  ProviderAttempt,
  ProviderName,
  SecurityCheckOutcome,
  ShortCircuitKind,
  SopChunkRef,
  TriageFailure,
  TriageResult,
  TriageSuccess,
} from '../domain/triage-result.ts';
import type { Logger } from '../observability/logger.ts';
import {
  attempt,
  type CallMeter,
  callForText,
  createMeter,
  createPromptCache,
  logFailure,
  logInternal,
  type SentPrompt,
  sendsRedacted,
  settleFailure,
} from './attempt.ts';
import type { CircuitBreaker, CircuitSnapshot } from './breaker.ts';
import type { CloudBudget } from './budget.ts';
import { applyPolicyGuard } from './guard.ts';
import { parseTriageOutput } from './parse.ts';
import { buildRepairPrompt, promptVersionFor } from './prompt.ts';
import { ProviderError, type TriageProvider } from './providers/provider.ts';
import { createSecurityChecker, verdictOf } from './security-check.ts';
import { detectShortCircuit, SHORT_CIRCUIT_MODEL, type ShortCircuit, shortCircuitOutput } from './short-circuit.ts';
import { fitChunks, type SopChunk } from './sop.ts';

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
  /** Decide obvious auto-replies, bounces and spam by rules, before any provider (TRIAGE_SHORT_CIRCUIT). */
  shortCircuit?: boolean;
  /** The cloud provider's daily token budget; absent = no budget. */
  cloudBudget?: CloudBudget;
  /** SOP_DIR chunks for a ticket, best first (PostgreSQL full-text search); absent = no SOP_DIR. */
  sopRetriever?: (ticket: NormalizedTicket) => Promise<SopChunk[]>;
  /** SOP text a prompt may carry, SOP_FILE's and the retrieved chunks' together (tokens ≈ chars / 4). */
  sopTokenBudget?: number;
  /** The LLM security check (SECURITY_LLM_CHECK) with its timeout; absent = off. */
  securityCheck?: { timeoutMs?: number };
}

export interface TriageChain {
  run(ticket: NormalizedTicket, signal?: AbortSignal): Promise<TriageResult>;
  /** Circuit state per provider for /health. */
  circuits(): {
    name: ProviderName;
    kind: ProviderKind | null;
    enabled: boolean;
    state: ReturnType<CircuitBreaker['state']>;
    /** Epoch ms of the last answer and the last failure (with its class) in this process; null until one happened. */
    lastSuccessAt: number | null;
    lastFailureAt: number | null;
    lastFailureReason: string | null;
  }[];
  readonly promptVersion: string;
}

const RAW_OUTPUT_MAX = 500;
/** SOP_TOKEN_BUDGET's default: room for SOP text in a 4096-token context next to the rules and the ticket. */
export const DEFAULT_SOP_TOKEN_BUDGET = 1000;

export function createTriageChain(options: TriageChainOptions): TriageChain {
  const { logger, now } = options;
  const checker = options.securityCheck ? createSecurityChecker({ ...options, ...options.securityCheck }) : null;
  const promptVersion = promptVersionFor(options.sopText, options.sopRetriever !== undefined);
  const promptOptions = {
    ...(options.sopText === undefined ? {} : { sopText: options.sopText }),
    ...(options.contextTokens === undefined ? {} : { contextTokens: options.contextTokens }),
  };

  async function run(ticket: NormalizedTicket, signal?: AbortSignal): Promise<TriageResult> {
    const started = now();
    const trail: Trail = { attempts: [], fallbackReasons: [], promptVersion, started };
    if (options.providers.length === 0) return failure(trail, 'no_provider', 'no triage provider is configured');
    const decided = options.shortCircuit ? detectShortCircuit(ticket) : null;
    if (decided) return shortCircuited(ticket, decided, trail);
    const chunks = await retrieveSop(ticket);
    if (chunks.length > 0) trail.sopChunks = chunks.map(({ id, title }) => ({ id, title }));
    const prompts = createPromptCache(ticket, { ...promptOptions, sopChunks: chunks });
    let answered: { provider: ProviderName; raw: string } | null = null;
    let lastError: { cls: FailureClass; message: string } | null = null;

    for (const entry of options.providers) {
      if (signal?.aborted) return failure(trail, 'timeout', 'triage aborted by caller', answered);
      const sent = prompts.get(sendsRedacted(entry, options.redactForCloud));
      const result = await tryProvider(entry, ticket, sent, signal);
      trail.attempts.push(result.attempt);
      if (result.ok) return success(ticket, result.attempt, await guard(ticket, result.answer, trail, signal), trail);
      trail.fallbackReasons.push({ provider: entry.name, reason: result.reason });
      if (result.raw !== null) answered = { provider: entry.name, raw: result.raw };
      if (result.attempt.outcome === 'failed') lastError = { cls: result.reason, message: result.message };
      if (result.callerAborted) return failure(trail, 'timeout', 'triage aborted by caller', answered);
    }

    if (trail.attempts.every((a) => a.failureClass === 'disabled')) {
      return failure(trail, 'no_provider', 'every triage provider is disabled', answered);
    }
    if (lastError) return failure(trail, lastError.cls, lastError.message, answered);
    return failure(trail, 'circuit_open', 'every enabled provider has an open circuit', answered);
  }

  /**
   * One provider's turn: skipped (not configured, circuit open), or called, its output repaired once when invalid,
   * and the guard run on what it kept. Updates the provider's breaker; never throws.
   */
  async function tryProvider(
    entry: ChainProvider,
    ticket: NormalizedTicket,
    sent: SentPrompt,
    signal: AbortSignal | undefined,
  ): Promise<AttemptResult> {
    const skip = (reason: FailureClass, message: string): AttemptResult => {
      logger.info(
        { ticket_id: ticket.ticket_id, provider: entry.name, failure_class: reason },
        'triage provider skipped',
      );
      const record = attempt(entry.name, entry.provider?.model ?? null, 'skipped', reason, message, 0, false);
      return { ok: false, attempt: record, reason, message, raw: null, callerAborted: false };
    };
    if (!entry.provider) return skip('disabled', 'provider not configured');
    // Before the breaker: a skipped call must not take the half-open probe.
    const budget = entry.kind === 'cloud_llm' ? options.cloudBudget : undefined;
    if (budget && !(await budget.allows())) return skip('budget_spent', 'daily cloud token budget spent');
    if (!entry.breaker.tryAcquire()) return skip('circuit_open', 'circuit open');

    const provider = entry.provider;
    const meter = createMeter(provider.model);
    let raw: string | null = null;
    let repaired = false;
    try {
      raw = await callForText(provider, { ...sent.prompt, ticket: sent.ticket }, signal, meter);
      let parsed = parseTriageOutput(raw);
      if (!parsed.ok) {
        repaired = true;
        const repair = buildRepairPrompt(sent.prompt, raw, parsed.errors);
        raw = await callForText(provider, { ...repair, ticket: sent.ticket }, signal, meter);
        parsed = parseTriageOutput(raw);
      }
      // The provider answered: as far as availability goes that is a success, even if the answer is unusable.
      entry.breaker.recordSuccess();
      const { model, latencyMs, calls } = meter;
      if (!parsed.ok) {
        const message = `output invalid after repair: ${parsed.errors.slice(0, 3).join('; ')}`;
        logFailure(logger, ticket, entry.name, model, latencyMs, 'invalid_output', 'invalid output after repair');
        const record = attempt(entry.name, model, 'failed', 'invalid_output', message, latencyMs, true, calls);
        return { ok: false, attempt: record, reason: 'invalid_output', message, raw, callerAborted: false };
      }
      const record = attempt(entry.name, model, 'ok', null, null, latencyMs, repaired, calls);
      return { ok: true, attempt: record, answer: { provider: entry.name, sent, parsed, meter, repaired } };
    } catch (error) {
      // Anything but a ProviderError is a bug of ours, not the provider's failing: it falls back like a failure,
      // but is never held against the provider's breaker, and is logged with its stack.
      const internal = !(error instanceof ProviderError);
      const pe = internal
        ? new ProviderError('internal', `internal error: ${(error as Error)?.name ?? 'unknown'}`)
        : error;
      if (internal) logInternal(logger, ticket, entry.name, error);
      settleFailure(entry.breaker, pe, internal);
      meter.record(pe.latencyMs ?? 0);
      const { model, latencyMs, calls } = meter;
      logFailure(logger, ticket, entry.name, model, latencyMs, pe.errorClass, pe.message);
      const record = attempt(entry.name, model, 'failed', pe.errorClass, pe.message, latencyMs, repaired, calls);
      const message = `${entry.name}: ${pe.message}`;
      return { ok: false, attempt: record, reason: pe.errorClass, message, raw, callerAborted: pe.callerAborted };
    } finally {
      // Every call the cloud answered counts, the rejected answer and the repair included.
      await budget?.record(meter.usage.promptTokens + meter.usage.completionTokens);
    }
  }

  /** SOP_DIR chunks for the ticket within the budget; a failed search costs the chunks, never the triage. */
  async function retrieveSop(ticket: NormalizedTicket): Promise<SopChunk[]> {
    if (!options.sopRetriever) return [];
    try {
      const found = await options.sopRetriever(ticket);
      return fitChunks(found, options.sopTokenBudget ?? DEFAULT_SOP_TOKEN_BUDGET, options.sopText);
    } catch (error) {
      logger.warn(
        { ticket_id: ticket.ticket_id, err: { message: (error as Error)?.message } },
        'SOP search failed: triaging without SOP chunks',
      );
      return [];
    }
  }

  /** An obvious auto-reply, bounce or spam: the rules decide, no provider is called; the guard still runs. */
  function shortCircuited(ticket: NormalizedTicket, decided: ShortCircuit, trail: Trail): TriageSuccess {
    const guarded = applyPolicyGuard(ticket, shortCircuitOutput(ticket, decided));
    const message = `short-circuit: ${decided.kind}`;
    trail.attempts.push(attempt('rules', SHORT_CIRCUIT_MODEL, 'ok', null, message, 0, false));
    logger.info({ ticket_id: ticket.ticket_id, short_circuit: decided.kind }, 'triage decided without an LLM');
    const kind: ShortCircuitKind = decided.kind;
    return {
      ok: true,
      output: guarded.output,
      provider: 'rules',
      model: SHORT_CIRCUIT_MODEL,
      repaired: false,
      usage: { promptTokens: 0, completionTokens: 0 },
      interventions: guarded.interventions,
      warnings: guarded.warnings,
      securityEscalation: guarded.securityEscalation,
      shortCircuit: kind,
      attempts: trail.attempts,
      fallbackReasons: trail.fallbackReasons,
      promptVersion: trail.promptVersion,
      latencyMs: now() - trail.started,
    };
  }

  /**
   * The policy guard over a valid output, with the prompt's and parser's notes ahead of its own; with the security
   * check on, an LLM is asked where the signals did not escalate (a yes could add nothing there, a no removes nothing).
   */
  async function guard(ticket: NormalizedTicket, answer: Answer, trail: Trail, signal?: AbortSignal): Promise<Kept> {
    const { provider, sent, parsed, meter, repaired } = answer;
    const notes: GuardIntervention[] = [...sent.prompt.interventions, ...parsed.interventions];
    // Parse/prompt notes go in before the guard appends its own, so the human reads causes before consequences.
    const output = {
      ...parsed.output,
      internal_notes: [...parsed.output.internal_notes, ...notes.map((n) => n.detail)],
    };
    let guarded = applyPolicyGuard(ticket, output);
    let securityCheck: SecurityCheckOutcome | undefined;
    if (checker && !guarded.securityEscalation) {
      securityCheck = await checker.check(ticket, provider, trail.attempts, signal);
      const verdict = verdictOf(securityCheck);
      if (verdict) guarded = applyPolicyGuard(ticket, output, { llmSecurityVerdict: verdict });
    }
    return {
      output: guarded.output,
      provider,
      model: meter.model,
      repaired,
      usage: meter.usage,
      interventions: [...notes, ...guarded.interventions],
      warnings: guarded.warnings,
      securityEscalation: guarded.securityEscalation,
      securityReasons: guarded.securityReasons,
      ...(securityCheck ? { securityCheck } : {}),
    };
  }

  function success(ticket: NormalizedTicket, record: ProviderAttempt, kept: Kept, trail: Trail): TriageSuccess {
    logger.info(
      {
        ticket_id: ticket.ticket_id,
        provider: kept.provider,
        model: kept.model,
        latency_ms: record.latencyMs,
        repaired: kept.repaired,
        fallbacks: trail.fallbackReasons.length,
        interventions: kept.interventions.map((i) => i.kind),
      },
      'triage completed',
    );
    return {
      ok: true,
      ...kept,
      attempts: trail.attempts,
      fallbackReasons: trail.fallbackReasons,
      promptVersion: trail.promptVersion,
      latencyMs: now() - trail.started,
      ...(trail.sopChunks ? { sopChunks: trail.sopChunks } : {}),
    };
  }

  function failure(
    trail: Trail,
    errorClass: FailureClass,
    errorMessage: string,
    answered: { provider: ProviderName; raw: string } | null = null,
  ): TriageFailure {
    return {
      ok: false,
      errorClass,
      errorMessage,
      lastProvider: answered?.provider ?? null,
      rawOutput: answered ? answered.raw.slice(0, RAW_OUTPUT_MAX) : null,
      attempts: trail.attempts,
      fallbackReasons: trail.fallbackReasons,
      promptVersion: trail.promptVersion,
      latencyMs: now() - trail.started,
      ...(trail.sopChunks ? { sopChunks: trail.sopChunks } : {}),
    };
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
        ...lastOutcomes(p.breaker.snapshot()),
      })),
    promptVersion,
  };
}

/** What a chain run has gathered so far. */
interface Trail {
  attempts: ProviderAttempt[];
  fallbackReasons: FallbackReason[];
  promptVersion: string;
  started: number;
  sopChunks?: SopChunkRef[];
}

/** A provider's valid answer, before the guard. */
interface Answer {
  provider: ProviderName;
  sent: SentPrompt;
  parsed: Extract<ReturnType<typeof parseTriageOutput>, { ok: true }>;
  meter: CallMeter;
  repaired: boolean;
}

/** The guarded answer a run keeps. */
type Kept = Omit<TriageSuccess, 'ok' | 'attempts' | 'fallbackReasons' | 'promptVersion' | 'latencyMs'>;

/** One provider's turn: its valid answer, or why it fell through (with its last output, if it answered). */
type AttemptResult =
  | { ok: true; attempt: ProviderAttempt; answer: Answer }
  | {
      ok: false;
      attempt: ProviderAttempt;
      reason: FailureClass;
      message: string;
      raw: string | null;
      callerAborted: boolean;
    };

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

const lastOutcomes = ({ lastSuccessAt, lastFailureAt, lastFailureReason }: CircuitSnapshot) => ({
  lastSuccessAt,
  lastFailureAt,
  lastFailureReason,
});
