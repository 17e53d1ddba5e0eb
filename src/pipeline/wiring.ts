// Builds the pipeline's collaborators from the Config: the provider chain, the notifier (Discord or console) and the
// HubSpot CRM client. Kept apart from main.ts so tests and the CLI build exactly what the service runs.
import { readFile } from 'node:fs/promises';
import type { Config } from '../config.ts';
import { OLLAMA_DEFAULTS } from '../domain/providers.ts';
import { createHubSpotClient } from '../hubspot/client.ts';
import { createConsoleSink } from '../notify/console-sink.ts';
import { createDiscordClient } from '../notify/discord-client.ts';
import type { Notifier } from '../notify/types.ts';
import type { DependencyStatus } from '../observability/health.ts';
import type { Logger } from '../observability/logger.ts';
import { buildTriageProviders, createTriageChain, type TriageChain } from '../triage/index.ts';

export async function createChainFromConfig(config: Config, logger: Logger): Promise<TriageChain> {
  const sopText = config.sopFile ? await readFile(config.sopFile, 'utf8') : undefined;
  // In production a local model is only tried where LOCAL_LLM_URL says it is; the development default would just
  // fail (and cost a circuit-breaker cycle) on a server.
  const order = config.providers.filter(
    (name) => name !== 'local' || config.local.explicit || config.env !== 'production',
  );
  const providers = buildTriageProviders(
    {
      providers: order,
      local: {
        url: config.local.url,
        model: config.local.model,
        timeoutMs: config.local.timeoutMs,
        numCtx: OLLAMA_DEFAULTS.numCtx,
        ...(config.local.token ? { token: config.local.token } : {}),
        ...(config.local.cfAccessClientId ? { cfAccessClientId: config.local.cfAccessClientId } : {}),
        ...(config.local.cfAccessClientSecret ? { cfAccessClientSecret: config.local.cfAccessClientSecret } : {}),
      },
      groq: {
        baseUrl: config.groq.baseUrl,
        model: config.groq.model,
        timeoutMs: config.groq.timeoutMs,
        ...(config.groq.apiKey ? { apiKey: config.groq.apiKey } : {}),
      },
    },
    { now: Date.now },
  );
  return createTriageChain({
    providers,
    logger,
    now: () => performance.now(),
    redactForCloud: true,
    contextTokens: OLLAMA_DEFAULTS.numCtx,
    ...(sopText === undefined ? {} : { sopText }),
  });
}

export function createNotifierFromConfig(config: Config, logger: Logger, write: (text: string) => void): Notifier {
  if (config.notify.mode === 'console' || !config.notify.webhookUrl) return createConsoleSink({ write });
  return createDiscordClient({
    webhookUrl: config.notify.webhookUrl,
    criticalWebhookUrl: config.notify.criticalWebhookUrl,
    logger: logger.child({ component: 'discord' }),
  });
}

export function createHubSpotFromConfig(config: Config, logger: Logger) {
  return createHubSpotClient({
    accessToken: config.hubspot.accessToken,
    baseUrl: config.hubspot.apiBaseUrl,
    logger: logger.child({ component: 'hubspot' }),
  });
}

/** /health's view of where messages go: the console sink, or Discord with its shared rate limiter's state. */
export function notifierHealth(notifier: Notifier, now: () => number = Date.now): DependencyStatus {
  const state = notifier.status?.();
  if (!state) return { status: 'disabled', sink: 'console' };
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const blocked = state.blockedUntil !== null && state.blockedUntil > now();
  return {
    status: blocked ? 'rate_limited' : 'up',
    blocked_until: blocked ? iso(state.blockedUntil) : null,
    global_block: blocked && state.globalBlocked,
    last_status: state.lastStatus,
    last_429_at: iso(state.last429At),
    waiting: state.queued,
    in_flight: state.inFlight,
  };
}

/** Circuit state per provider kind for /health: local (Ollama) and cloud (Groq / OpenAI-compatible). */
export function providerHealth(chain: TriageChain): { local: DependencyStatus; cloud: DependencyStatus } {
  const describe = (kind: 'local_llm' | 'cloud_llm'): DependencyStatus => {
    const circuit = chain.circuits().find((c) => c.kind === kind);
    if (!circuit?.enabled) return { status: 'disabled' };
    const status = circuit.state === 'closed' ? 'up' : circuit.state === 'open' ? 'down' : 'unknown';
    return { status, circuit: circuit.state };
  };
  return { local: describe('local_llm'), cloud: describe('cloud_llm') };
}
