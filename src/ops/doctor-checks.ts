// The checks of `triage doctor`, one per dependency, each a function of the Config that reads and never changes
// anything: no migration, no database started or created, no message posted. Each answers ok / warn / fail /
// skipped with one line of detail and, when something is wrong, the fix. Secrets never appear in what they return.
import { existsSync } from 'node:fs';
import type { Config } from '../config.ts';
import { createDatabase } from '../db/client.ts';
import { embeddedStatus } from '../db/embedded.ts';
import { describeDatabaseFailure, describeUrl } from '../db/errors.ts';
import { pendingMigrations } from '../db/migrate.ts';
import { pendingQueueMigrations } from '../queue/schema-status.ts';
import { describeRequestError, getJson, maskUrl } from './probe.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skipped';

export interface Outcome {
  status: CheckStatus;
  detail: string;
  fix?: string;
  /** Further lines under the detail (the self-test's one line per ticket). */
  lines?: string[];
  /** Structured results for --json (the self-test's per-ticket report). */
  data?: unknown;
}

export interface CheckContext {
  config: Config;
  /** Aborts when the check's time is up. */
  signal: AbortSignal;
  timeoutMs: number;
  /** The development webhook token file (null when webhook authentication is configured). */
  tokenFile: string | null;
}

export interface Check {
  name: string;
  run(context: CheckContext): Promise<Outcome>;
}

const ok = (detail: string): Outcome => ({ status: 'ok', detail });
const skipped = (detail: string): Outcome => ({ status: 'skipped', detail });
const problem = (status: 'warn' | 'fail', detail: string, fix: string): Outcome => ({ status, detail, fix });

/** Every check, in the order the checklist prints them. */
export function doctorChecks(config: Config): Check[] {
  const checks: Check[] = [
    { name: 'database', run: checkDatabase },
    { name: 'webhook auth', run: checkWebhookAuth },
    { name: 'local LLM', run: checkOllama },
    { name: 'cloud LLM', run: checkCloudLlm },
    { name: 'discord', run: (context) => checkDiscord(context, config.notify.webhookUrl, 'DISCORD_WEBHOOK_URL') },
  ];
  if (config.notify.criticalWebhookUrl && config.notify.mode === 'discord') {
    checks.push({
      name: 'discord critical',
      run: (context) => checkDiscord(context, config.notify.criticalWebhookUrl, 'DISCORD_WEBHOOK_URL_CRITICAL'),
    });
  }
  checks.push({ name: 'hubspot', run: checkHubSpot });
  return checks;
}

/**
 * Reachable and migrated. On the embedded default it attaches to the server a running `npm start` owns, and
 * otherwise only says so: starting or creating a database is the service's job, not a check's.
 */
export async function checkDatabase({ config, timeoutMs }: CheckContext): Promise<Outcome> {
  let url = config.databaseUrl;
  if (!url) {
    const embedded = await embeddedStatus(config.dataDir);
    if (embedded.state !== 'running') {
      const what = embedded.state === 'absent' ? 'has not been created yet' : 'is not running';
      return problem(
        'warn',
        `the embedded PostgreSQL (DATABASE_URL unset, data in ${config.dataDir}/postgres) ${what}; doctor does not start one`,
        'Start the service (npm start), which starts it and applies the migrations, then run doctor again; or set DATABASE_URL.',
      );
    }
    url = embedded.url;
  }
  const fromEnv = config.databaseUrl !== null;
  const database = createDatabase(url, {
    max: 1,
    applicationName: 'hubspot-triage doctor',
    connectionTimeoutMs: timeoutMs,
    statementTimeoutMs: timeoutMs,
  });
  try {
    let version: string;
    try {
      version = (await database.pool.query<{ server_version: string }>('show server_version')).rows[0]!.server_version;
    } catch (error) {
      const { problem: detail, fix } = describeDatabaseFailure(url, error, fromEnv);
      return problem('fail', detail, fix);
    }
    const where = `PostgreSQL ${version.split(' ')[0]} at ${fromEnv ? describeUrl(url) : 'the embedded server'}`;
    const [ours, queue] = await Promise.all([pendingMigrations(database.pool), pendingQueueMigrations(database.pool)]);
    if (ours.length > 0 || queue > 0) {
      const parts = [
        ...(ours.length > 0 ? [`${ours.length} migration(s) not applied (${ours.join(', ')})`] : []),
        ...(queue > 0 ? [`the job queue's schema lacks ${queue} of its migrations`] : []),
      ];
      return problem(
        'fail',
        `${where}: reachable, but ${parts.join(' and ')}`,
        'Run `triage migrate` (or start the service, which migrates at start-up).',
      );
    }
    return ok(`${where}: reachable, migrations up to date`);
  } finally {
    await database.close();
  }
}

/** Which authentication the webhook will demand; pure, from the configuration. */
export async function checkWebhookAuth({ config, tokenFile }: CheckContext): Promise<Outcome> {
  const methods: string[] = [];
  if (config.webhook.token) methods.push('shared token (X-Webhook-Token header or ?token=)');
  if (config.webhook.clientSecret && config.webhook.publicUrl) {
    methods.push(`HubSpot signatures v1/v2/v3 for ${maskUrl(config.webhook.publicUrl)}`);
  }
  if (config.webhook.clientSecret && !config.webhook.publicUrl) {
    return problem(
      'warn',
      'HUBSPOT_CLIENT_SECRET is set without PUBLIC_URL: only v1 signatures can be checked, v2/v3 deliveries get 401',
      'Set PUBLIC_URL to the base URL HubSpot calls (e.g. https://triage.example.com).',
    );
  }
  if (methods.length > 0) return ok(methods.join('; '));
  if (tokenFile) {
    const state = existsSync(tokenFile) ? '' : ' (not there yet: the service creates it on its first start)';
    return ok(`development token in ${tokenFile}${state}`);
  }
  return problem(
    'fail',
    'no webhook authentication configured',
    'Set HUBSPOT_WEBHOOK_TOKEN (16+ characters) or HUBSPOT_CLIENT_SECRET with PUBLIC_URL.',
  );
}

/** Ollama answers /api/tags (CONTRACTS §3) and lists the configured model. */
export async function checkOllama({ config, signal, timeoutMs }: CheckContext): Promise<Outcome> {
  const { local } = config;
  if (!config.providers.includes('local')) return skipped('not in TRIAGE_PROVIDERS');
  if (config.env === 'production' && !local.explicit) return skipped('LOCAL_LLM_URL not set');
  // The development default is tried but optional: without it tickets go to the next provider, which is a warning.
  const severity = local.explicit ? 'fail' : 'warn';
  const where = `Ollama at ${maskUrl(local.url)}${local.explicit ? '' : ' (the development default)'}`;
  const base = local.url.replace(/\/+$/, '');
  const headers: Record<string, string> = {};
  if (local.token) headers.authorization = `Bearer ${local.token}`;
  if (local.cfAccessClientId) headers['cf-access-client-id'] = local.cfAccessClientId;
  if (local.cfAccessClientSecret) headers['cf-access-client-secret'] = local.cfAccessClientSecret;
  let tags: Awaited<ReturnType<typeof getJson>>;
  try {
    tags = await getJson(`${base}/api/tags`, headers, signal);
  } catch (error) {
    return problem(
      severity,
      `${where}: ${describeRequestError(error, timeoutMs)}`,
      local.explicit
        ? 'Start Ollama there (`ollama serve`; a tunnel: is it up?), or fix LOCAL_LLM_URL.'
        : 'Start Ollama (`ollama serve`) to triage locally, or leave `local` out of TRIAGE_PROVIDERS; meanwhile tickets go to the next provider.',
    );
  }
  if (tags.status === 401 || tags.status === 403) {
    return problem(
      'fail',
      `${where}: refused with HTTP ${tags.status}`,
      'Set LOCAL_LLM_TOKEN, or CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET, to what the proxy in front of Ollama expects.',
    );
  }
  const models = (tags.json as { models?: { name?: unknown }[] } | undefined)?.models;
  if (tags.status !== 200 || !Array.isArray(models)) {
    return problem(
      severity,
      `${where}: HTTP ${tags.status}, not Ollama's model list`,
      "Point LOCAL_LLM_URL at Ollama's base URL (e.g. http://127.0.0.1:11434, without /api or /v1).",
    );
  }
  const names = models.map((model) => String(model.name ?? ''));
  const wanted = local.model.includes(':') ? local.model : `${local.model}:latest`;
  if (!names.includes(local.model) && !names.includes(wanted)) {
    return problem(
      severity,
      `${where}: model ${local.model} is not pulled there (it has: ${names.join(', ') || 'none'})`,
      `Run \`ollama pull ${local.model}\` on that machine, or set LOCAL_LLM_MODEL to one of the models it has.`,
    );
  }
  return ok(`${where}: answers in ${tags.ms} ms and has ${local.model}`);
}

/** The OpenAI-compatible API accepts the key (GET {base}/models) and offers the configured model. */
export async function checkCloudLlm({ config, signal, timeoutMs }: CheckContext): Promise<Outcome> {
  const { groq } = config;
  if (!config.providers.includes('groq')) return skipped('not in TRIAGE_PROVIDERS');
  if (!groq.apiKey) return skipped('GROQ_API_KEY not set');
  const where = `${maskUrl(groq.baseUrl)}`;
  let models: Awaited<ReturnType<typeof getJson>>;
  try {
    models = await getJson(
      `${groq.baseUrl.replace(/\/+$/, '')}/models`,
      { authorization: `Bearer ${groq.apiKey}` },
      signal,
    );
  } catch (error) {
    return problem(
      'fail',
      `${where}: ${describeRequestError(error, timeoutMs)}`,
      'Check GROQ_BASE_URL and the network.',
    );
  }
  const error = (models.json as { error?: { code?: string; message?: string } } | undefined)?.error;
  if (models.status === 401) {
    return problem(
      'fail',
      `${where}: the API key was refused (HTTP 401${error?.code ? ` ${error.code}` : ''})`,
      'Create a key in the provider console (Groq: https://console.groq.com/keys) and set GROQ_API_KEY; check that GROQ_BASE_URL is the same provider.',
    );
  }
  if (models.status === 429) {
    return problem('warn', `${where}: rate limited right now (HTTP 429)`, 'Wait, or raise the plan limits.');
  }
  const list = (models.json as { data?: { id?: unknown }[] } | undefined)?.data;
  if (models.status !== 200 || !Array.isArray(list)) {
    return problem(
      'fail',
      `${where}: HTTP ${models.status} from /models${error?.message ? ` (${error.message})` : ''}`,
      'Set GROQ_BASE_URL to the OpenAI-compatible base URL (it ends in /v1, e.g. https://api.groq.com/openai/v1).',
    );
  }
  const ids = list.map((model) => String(model.id ?? ''));
  if (!ids.includes(groq.model)) {
    return problem(
      'fail',
      `${where}: the key works, but model ${groq.model} is not offered (decommissioned or misspelt)`,
      `Set GROQ_MODEL to a model it lists, e.g. ${ids.slice(0, 3).join(', ') || 'openai/gpt-oss-120b'}.`,
    );
  }
  return ok(`${where}: key accepted, ${groq.model} offered (${models.ms} ms)`);
}

const WEBHOOK_PATH = /^\/api(\/v\d+)?\/webhooks\/\d+\/[\w-]+\/?$/;

/** The URL has a webhook's shape and Discord still knows it (GET returns the webhook object; CONTRACTS §5). */
export async function checkDiscord(
  { config, signal, timeoutMs }: CheckContext,
  url: string | null,
  variable: string,
): Promise<Outcome> {
  if (config.notify.mode === 'console' || !url) {
    return skipped(
      config.notify.mode === 'console' && url
        ? 'NOTIFY=console: messages are printed on the console'
        : 'DISCORD_WEBHOOK_URL not set: messages are printed on the console',
    );
  }
  const shown = maskUrl(url, { lastSegment: true });
  const recopy = `Copy it again in Discord (channel settings → Integrations → Webhooks → Copy Webhook URL) into ${variable}.`;
  if (!WEBHOOK_PATH.test(new URL(url).pathname)) {
    return problem(
      'fail',
      `${variable} (${shown}) is not a webhook URL (https://discord.com/api/webhooks/<id>/<token>)`,
      recopy,
    );
  }
  let hook: Awaited<ReturnType<typeof getJson>>;
  try {
    hook = await getJson(url, {}, signal);
  } catch (error) {
    return problem('fail', `${shown}: ${describeRequestError(error, timeoutMs)}`, 'Check the network to Discord.');
  }
  const body = (hook.json ?? {}) as { name?: unknown; channel_id?: unknown; message?: unknown; code?: unknown };
  if (hook.status === 404 || hook.status === 401) {
    return problem(
      'fail',
      `${shown}: Discord answered ${hook.status} ${String(body.message ?? '')} (the webhook was deleted, or the token is wrong)`.trim(),
      `Create a webhook in the channel (or find the existing one) and ${recopy.charAt(0).toLowerCase()}${recopy.slice(1)}`,
    );
  }
  if (hook.status === 429)
    return problem('warn', `${shown}: rate limited right now (HTTP 429)`, 'Run doctor again later.');
  if (hook.status !== 200) return problem('fail', `${shown}: HTTP ${hook.status}`, recopy);
  return ok(
    `webhook "${String(body.name ?? '?')}" for channel ${String(body.channel_id ?? '?')} answers (${hook.ms} ms)`,
  );
}

/** The private-app token can read tickets: GET /crm/v3/objects/tickets?limit=1, the cheapest call needing that scope. */
export async function checkHubSpot({ config, signal, timeoutMs }: CheckContext): Promise<Outcome> {
  const { hubspot } = config;
  if (!hubspot.accessToken) {
    return skipped(
      'HUBSPOT_ACCESS_TOKEN not set: event-only deliveries (Webhooks API) cannot be read and the catch-up sweep is off',
    );
  }
  const where = `HubSpot at ${maskUrl(hubspot.apiBaseUrl)}`;
  const scopes = 'the `tickets` and `crm.objects.contacts.read` scopes';
  let list: Awaited<ReturnType<typeof getJson>>;
  try {
    list = await getJson(
      `${hubspot.apiBaseUrl.replace(/\/+$/, '')}/crm/v3/objects/tickets?limit=1&archived=false`,
      { authorization: `Bearer ${hubspot.accessToken}` },
      signal,
    );
  } catch (error) {
    return problem(
      'fail',
      `${where}: ${describeRequestError(error, timeoutMs)}`,
      'Check HUBSPOT_API_BASE_URL and the network.',
    );
  }
  const category = (list.json as { category?: unknown } | undefined)?.category;
  if (list.status === 401) {
    return problem(
      'fail',
      `${where}: the access token was refused (HTTP 401${category ? ` ${String(category)}` : ''})`,
      `Create a private app (Settings → Integrations → Private Apps) with ${scopes} and set HUBSPOT_ACCESS_TOKEN to its token.`,
    );
  }
  if (list.status === 403) {
    return problem(
      'fail',
      `${where}: the token may not read tickets (HTTP 403${category ? ` ${String(category)}` : ''})`,
      `Give the private app ${scopes}, then copy its token into HUBSPOT_ACCESS_TOKEN again.`,
    );
  }
  if (list.status === 429)
    return problem('warn', `${where}: rate limited right now (HTTP 429)`, 'Run doctor again later.');
  if (list.status !== 200) return problem('fail', `${where}: HTTP ${list.status}`, 'Check HUBSPOT_API_BASE_URL.');
  return ok(`${where}: token accepted, tickets readable (${list.ms} ms)`);
}
