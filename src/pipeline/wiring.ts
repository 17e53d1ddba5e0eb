// Builds the pipeline's collaborators from the Config: the provider chain, the notifier (Discord or console) and the
// HubSpot CRM client. Kept apart from main.ts so tests and the CLI build exactly what the service runs.
import { readdir, readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type pg from 'pg';
import type { Config } from '../config.ts';
import { createSopStore } from '../db/sop-store.ts';
import { createTokenUsageStore } from '../db/token-usage-store.ts';
import { OperatorError } from '../domain/operator-error.ts';
import { OLLAMA_DEFAULTS } from '../domain/providers.ts';
import type { ProviderName } from '../domain/triage-result.ts';
import { createHubSpotClient } from '../hubspot/client.ts';
import { createConsoleSink } from '../notify/console-sink.ts';
import { createDiscordClient } from '../notify/discord-client.ts';
import type { Notifier } from '../notify/types.ts';
import type { DependencyStatus } from '../observability/health.ts';
import type { Logger } from '../observability/logger.ts';
import {
  buildTriageProviders,
  type CloudBudget,
  chunkMarkdown,
  createCloudBudget,
  createTriageChain,
  fitSopText,
  type ProvidersOptions,
  type SopChunk,
  searchTermsOf,
  type TriageChain,
} from '../triage/index.ts';

/** The cloud's daily token budget over the shared PostgreSQL counter, or null when CLOUD_DAILY_TOKEN_BUDGET is unset. */
export function createCloudBudgetFromConfig(config: Config, pool: pg.Pool, logger: Logger): CloudBudget | null {
  if (config.cost.cloudDailyTokenBudget === null) return null;
  return createCloudBudget({
    dailyTokens: config.cost.cloudDailyTokenBudget,
    pricePerMillionTokens: config.cost.cloudPricePerMillionTokens,
    counter: createTokenUsageStore(pool),
    logger: logger.child({ component: 'cloud-budget' }),
  });
}

export interface ChainExtras {
  /** Needed for SOP_DIR (indexed and searched in PostgreSQL). */
  pool?: pg.Pool;
  cloudBudget?: CloudBudget | null;
}

export async function createChainFromConfig(
  config: Config,
  logger: Logger,
  extras: ChainExtras = {},
): Promise<TriageChain> {
  // With SOP_DIR in use the file gets half the budget at most, so retrieved chunks always have room.
  const retrieving = config.sop.dir !== null && config.sop.topK > 0;
  const fileBudget = retrieving ? Math.floor(config.sop.tokenBudget / 2) : config.sop.tokenBudget;
  const sopText = config.sop.file ? await readSopFile(config.sop.file, fileBudget, logger) : undefined;
  const sopRetriever = retrieving && extras.pool ? await indexSopDir(config, extras.pool, logger) : undefined;
  // In production a local model is only tried where LOCAL_LLM_URL says it is; the development default would just
  // fail (and cost a circuit-breaker cycle) on a server.
  const order = config.providers.filter(
    (name) => name !== 'local' || config.local.explicit || config.env !== 'production',
  );
  const providers = buildTriageProviders(providersOptions(config, order), { now: Date.now });
  return createTriageChain({
    providers,
    logger,
    now: () => performance.now(),
    redactForCloud: true,
    contextTokens: OLLAMA_DEFAULTS.numCtx,
    shortCircuit: config.cost.shortCircuit,
    sopTokenBudget: config.sop.tokenBudget,
    ...(sopText === undefined ? {} : { sopText }),
    ...(sopRetriever ? { sopRetriever } : {}),
    ...(extras.cloudBudget ? { cloudBudget: extras.cloudBudget } : {}),
    ...(config.securityCheck.enabled ? { securityCheck: { timeoutMs: config.securityCheck.timeoutMs } } : {}),
  });
}

/** SOP_FILE's text within SOP_TOKEN_BUDGET; an unreadable file stops the start naming the variable. */
async function readSopFile(path: string, budgetTokens: number, logger: Logger): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new OperatorError(`SOP_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: error,
    });
  }
  const fitted = fitSopText(text, budgetTokens);
  if (fitted.truncated) {
    logger.warn(
      { sop_file: path, chars: text.length, kept_chars: fitted.text.length, budget_tokens: budgetTokens },
      'SOP_FILE is longer than its share of SOP_TOKEN_BUDGET: the prompt carries its beginning only',
    );
  }
  return fitted.text;
}

/**
 * Chunks every markdown file under SOP_DIR, brings the sop_chunks table up to date (a no-op when nothing changed)
 * and returns the per-ticket search. Re-read at start-up only: restart the service after editing the SOPs.
 */
async function indexSopDir(
  config: Config,
  pool: pg.Pool,
  logger: Logger,
): Promise<(ticket: { subject: string; body: string }) => Promise<SopChunk[]>> {
  const dir = config.sop.dir!;
  let files: string[];
  try {
    files = (await readdir(dir, { recursive: true })).filter((name) => /\.(?:md|markdown)$/i.test(name)).sort();
  } catch (error) {
    throw new OperatorError(`SOP_DIR: cannot read ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: error,
    });
  }
  const chunks: SopChunk[] = [];
  for (const name of files) {
    chunks.push(...chunkMarkdown(name.split(sep).join('/'), await readFile(join(dir, name), 'utf8')));
  }
  const store = createSopStore(pool);
  const written = await store.replaceAll(chunks);
  logger.info({ sop_dir: dir, files: files.length, chunks: chunks.length, reindexed: written }, 'SOP_DIR indexed');
  if (chunks.length === 0) logger.warn({ sop_dir: dir }, 'SOP_DIR holds no markdown: no SOP chunks will be used');
  const topK = config.sop.topK;
  return (ticket) => store.search(searchTermsOf(ticket.subject, ticket.body), topK);
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
    const at = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      status,
      circuit: circuit.state,
      last_success_at: at(circuit.lastSuccessAt),
      last_error_at: at(circuit.lastFailureAt),
      last_error: circuit.lastFailureReason,
    };
  };
  return { local: describe('local_llm'), cloud: describe('cloud_llm') };
}

/** The providers' settings from the configuration, for `order` (the chain's, or one provider for doctor --deep). */
export function providersOptions(config: Config, order: ProviderName[]): ProvidersOptions {
  return {
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
  };
}
