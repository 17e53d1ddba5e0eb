// Public surface of the triage engine for the pipeline, config and /health: the chain, the provider builder and the
// types they exchange. Internals (parser, guard, prompt, providers) stay importable by path for tests and tools.

export type * from '../domain/triage-result.ts';
export { type CircuitBreaker, type CircuitState, createCircuitBreaker } from './breaker.ts';
export {
  BUDGET_SPENT_WARNING,
  type CloudBudget,
  type CloudBudgetStatus,
  createCloudBudget,
  type TokenCounter,
} from './budget.ts';
export {
  type ChainProvider,
  createTriageChain,
  failureWithoutAttempts,
  type TriageChain,
  type TriageChainOptions,
} from './chain.ts';
export { PROMPT_VERSION } from './prompt.ts';
export {
  buildTriageProviders,
  type GroqProviderOptions,
  type LocalProviderOptions,
  type ProvidersOptions,
} from './providers/build.ts';
export { chunkMarkdown, fitSopText, type SopChunk, searchTermsOf } from './sop.ts';
