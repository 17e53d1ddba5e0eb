// Result types of the triage chain, shared by the pipeline (which records them) and the notifier (which renders
// them). A chain run never throws: it ends in a TriageSuccess or a typed TriageFailure.
import type { TriageOutput } from './triage-output.ts';

export type ProviderName = 'local' | 'groq' | 'rules';

export type FailureClass =
  | 'timeout'
  | 'connection'
  | 'http_5xx'
  | 'http_4xx'
  | 'auth'
  | 'rate_limited'
  | 'model_missing'
  | 'invalid_output'
  | 'circuit_open'
  | 'disabled'
  | 'no_provider'
  /** The cloud provider was skipped: CLOUD_DAILY_TOKEN_BUDGET is spent for this UTC day. */
  | 'budget_spent'
  /** The worker could not fetch an event-only ticket from the HubSpot CRM (pipeline, not a provider). */
  | 'enrichment'
  /** A bug in our own code (the chain's last line of defence). */
  | 'internal';

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/** One call (or skip) of one provider during a chain run. */
export interface ProviderAttempt {
  provider: ProviderName;
  model: string | null;
  outcome: 'ok' | 'failed' | 'skipped';
  failureClass: FailureClass | null;
  /** A short, log-safe description (no ticket text, no secrets). */
  message: string | null;
  latencyMs: number;
  repairAttempted: boolean;
  /** Added by the triage engine: latency of each HTTP call in this attempt (first call, then the repair call). */
  callLatenciesMs?: number[];
}

export interface FallbackReason {
  provider: ProviderName;
  reason: FailureClass;
}

export type GuardInterventionKind =
  | 'security_escalation'
  | 'claimed_action'
  | 'promised_timeline'
  | 'summary_truncated'
  | 'body_trimmed'
  /** Added by the triage engine: reply_needed true without a draft (kept, and noted for the human). */
  | 'reply_draft_missing'
  /** Added by the triage engine: the reply draft quotes the system prompt (prompt extraction). */
  | 'prompt_leak'
  /** The model said critical (an @here ping) without outage, security or data-loss evidence in the ticket: high. */
  | 'critical_unconfirmed';

export interface GuardIntervention {
  kind: GuardInterventionKind;
  detail: string;
}

/** A chunk of SOP_DIR that went into the prompt as reference material (kept with the run record). */
export interface SopChunkRef {
  id: string;
  title: string;
}

/**
 * How the optional LLM security check (SECURITY_LLM_CHECK) ended: the model's yes or no, an answer that did not
 * match its schema, a failed call, or no LLM available to ask.
 */
export type SecurityCheckResult = 'yes' | 'no' | 'invalid' | 'error' | 'skipped';

export interface SecurityCheckOutcome {
  result: SecurityCheckResult;
  /** The LLM asked; null when none was (skipped). */
  provider: ProviderName | null;
  model: string | null;
  latencyMs: number;
  /** The model's short reason on yes/no (model text: shown in the embed on yes, kept with the run, never logged). */
  reason: string | null;
  /** Why it ended without a verdict, log-safe (a failure class, "no LLM available"); null on yes/no. */
  detail: string | null;
}

/** Tickets decided by the rules before any LLM call: obvious automatic replies, bounces and spam. */
export type ShortCircuitKind = 'auto_reply' | 'bounce' | 'spam';

interface ChainRunCommon {
  attempts: ProviderAttempt[];
  fallbackReasons: FallbackReason[];
  promptVersion: string;
  latencyMs: number;
  /** The SOP_DIR chunks the prompt carried (absent or empty when none were retrieved). */
  sopChunks?: SopChunkRef[];
}

export interface TriageSuccess extends ChainRunCommon {
  ok: true;
  output: TriageOutput;
  provider: ProviderName;
  model: string;
  repaired: boolean;
  usage: TokenUsage;
  /** Guard interventions on the final output; warnings are the human-facing subset (claimed actions, timelines). */
  interventions: GuardIntervention[];
  warnings: string[];
  /** True when the policy guard raised the ticket to a security escalation. */
  securityEscalation: boolean;
  /** Why it escalated (the security signals that scored, an LLM security check); absent or empty otherwise. */
  securityReasons?: string[];
  /** Set when the ticket was decided by the rules without calling any LLM (cost guard). */
  shortCircuit?: ShortCircuitKind;
  /** The LLM security check, when it was on and the signals had not escalated already (absent otherwise). */
  securityCheck?: SecurityCheckOutcome;
}

export interface TriageFailure extends ChainRunCommon {
  ok: false;
  errorClass: FailureClass;
  errorMessage: string;
  /** The last provider that produced output, and the first 500 characters of that output, for the failure embed. */
  lastProvider: ProviderName | null;
  rawOutput: string | null;
}

export type TriageResult = TriageSuccess | TriageFailure;
