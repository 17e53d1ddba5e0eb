// Builds the ordered provider list for createTriageChain from a plain options object (the lead maps environment
// variables onto it in config.ts). Each provider gets its own breaker; 'groq' without an API key stays in the list as
// a disabled entry so runs and /health show why it was not used.

import { GROQ_DEFAULTS, LOCAL_DEFAULTS, OLLAMA_DEFAULTS } from '../../domain/providers.ts';
import type { ProviderName } from '../../domain/triage-result.ts';
import { type CircuitBreakerOptions, createCircuitBreaker } from '../breaker.ts';
import type { ChainProvider } from '../chain.ts';
import { createOllamaProvider, type OllamaOptions } from './ollama.ts';
import { createOpenAICompatibleProvider } from './openai-compatible.ts';
import { createRulesProvider } from './rules.ts';

/** The Ollama provider's options, all optional here (defaults below); sampling settings stay the provider's own. */
export type LocalProviderOptions = Partial<Omit<OllamaOptions, 'temperature' | 'numPredict'>>;

export interface GroqProviderOptions {
  apiKey?: string;
  baseUrl?: string;
  model?: string;
  timeoutMs?: number;
}

export interface ProvidersOptions {
  /** Order of the chain, e.g. ['local', 'groq', 'rules'] (TRIAGE_PROVIDERS). Unknown names are a config error. */
  providers: ProviderName[];
  local?: LocalProviderOptions;
  groq?: GroqProviderOptions;
  breaker?: Omit<CircuitBreakerOptions, 'now'>;
}

/** Empty strings count as unset (env vars). `now` is the breakers' clock (Date.now in production; tests pass a fake). */
export function buildTriageProviders(options: ProvidersOptions, deps: { now: () => number }): ChainProvider[] {
  const seen = new Set<ProviderName>();
  return options.providers.map((name): ChainProvider => {
    if (seen.has(name)) throw new Error(`triage provider "${name}" is listed twice`);
    seen.add(name);
    const breaker = createCircuitBreaker({ ...options.breaker, now: deps.now });
    switch (name) {
      case 'local': {
        const local = options.local ?? {};
        return {
          name,
          kind: 'local_llm',
          breaker,
          provider: createOllamaProvider({
            url: local.url || LOCAL_DEFAULTS.url,
            model: local.model || LOCAL_DEFAULTS.model,
            timeoutMs: local.timeoutMs || OLLAMA_DEFAULTS.timeoutMs,
            ...pick(local, ['token', 'cfAccessClientId', 'cfAccessClientSecret', 'keepAlive', 'numCtx']),
          }),
        };
      }
      case 'groq': {
        const groq = options.groq ?? {};
        if (!groq.apiKey) return { name, kind: 'cloud_llm', breaker, provider: null };
        return {
          name,
          kind: 'cloud_llm',
          breaker,
          provider: createOpenAICompatibleProvider({
            apiKey: groq.apiKey,
            baseUrl: groq.baseUrl || GROQ_DEFAULTS.baseUrl,
            model: groq.model || GROQ_DEFAULTS.model,
            timeoutMs: groq.timeoutMs || GROQ_DEFAULTS.timeoutMs,
          }),
        };
      }
      case 'rules':
        return { name, kind: 'rules', breaker, provider: createRulesProvider() };
      default:
        throw new Error(`unknown triage provider "${String(name)}" (expected local, groq or rules)`);
    }
  });
}

/** Copies only the keys that are set, so unset options fall through to each client's defaults. */
function pick<T extends object, K extends keyof T>(source: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined && source[key] !== '') out[key] = source[key];
  return out;
}
