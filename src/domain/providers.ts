// Provider defaults in one place: the clients fall back to them, and the configuration (which documents and
// validates the environment) uses the same values, so a model name or timeout is changed here only.
import type { ProviderName } from './triage-result.ts';

export const PROVIDER_NAMES = ['local', 'groq', 'rules'] as const satisfies readonly ProviderName[];

/** The chain when TRIAGE_PROVIDERS is unset. */
export const DEFAULT_PROVIDER_ORDER: readonly ProviderName[] = ['local', 'groq', 'rules'];

export const LOCAL_DEFAULTS = { url: 'http://127.0.0.1:11434', model: 'llama3.1:8b' } as const;

export const OLLAMA_DEFAULTS = { timeoutMs: 10_000, keepAlive: '30m', numCtx: 4096 } as const;

export const GROQ_DEFAULTS = {
  baseUrl: 'https://api.groq.com/openai/v1',
  model: 'openai/gpt-oss-120b',
  timeoutMs: 15_000,
} as const;

/** The LLM security check's own timeout (SECURITY_LLM_CHECK_TIMEOUT_MS): a one-line answer needs far less than a triage. */
export const SECURITY_CHECK_DEFAULTS = { timeoutMs: 5000 } as const;

/** Today's cloud token count against CLOUD_DAILY_TOKEN_BUDGET (triage/budget.ts), as /health and /metrics show it. */
export interface CloudBudgetStatus {
  day: string;
  usedTokens: number;
  limitTokens: number;
  spent: boolean;
  /** When the count starts again (the next 00:00 UTC), ISO-8601. */
  resetsAt: string;
  /** usedTokens × CLOUD_PRICE_PER_MILLION_TOKENS / 1e6, or null without a price. */
  estimatedCost: number | null;
}
