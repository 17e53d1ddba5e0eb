// The only reader of the environment. `loadConfig(env)` is pure: it validates every variable once, applies the
// development/production rules of ARCHITECTURE.md ("Modes") and returns a typed, frozen Config, or throws one
// ConfigError that names every missing or invalid variable at once.
import { join, resolve } from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_PROVIDER_ORDER,
  GROQ_DEFAULTS,
  LOCAL_DEFAULTS,
  OLLAMA_DEFAULTS,
  PROVIDER_NAMES,
  SECURITY_CHECK_DEFAULTS,
} from './domain/providers.ts';

export type ConfiguredProvider = (typeof PROVIDER_NAMES)[number];

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? null : value.trim()));

const optionalUrl = optionalString.refine((value) => value === null || URL.canParse(value), 'must be a URL');

function intWithDefault(fallback: number, min: number, max: number) {
  return optionalString
    .refine((value) => value === null || /^\d+$/.test(value), 'must be a whole number')
    .transform((value) => (value === null ? fallback : Number(value)))
    .refine((value) => value >= min && value <= max, `must be between ${min} and ${max}`);
}

function optionalPositiveInt(max: number) {
  return optionalString
    .refine((value) => value === null || /^\d+$/.test(value), 'must be a whole number')
    .transform((value) => (value === null ? null : Number(value)))
    .refine((value) => value === null || (value >= 1 && value <= max), `must be between 1 and ${max}`);
}

const optionalDecimal = optionalString
  .refine((value) => value === null || /^\d+(?:\.\d+)?$/.test(value), 'must be a non-negative number, e.g. 0.59')
  .transform((value) => (value === null ? null : Number(value)));

function booleanWithDefault(fallback: boolean) {
  return optionalString.transform((value, ctx) => {
    if (value === null) return fallback;
    if (/^(?:true|1|yes|on)$/i.test(value)) return true;
    if (/^(?:false|0|no|off)$/i.test(value)) return false;
    ctx.addIssue({ code: 'custom', message: 'must be true or false' });
    return z.NEVER;
  });
}

const envSchema = z.object({
  NODE_ENV: optionalString
    .transform((value) => value ?? 'development')
    .pipe(z.enum(['development', 'production', 'test'])),
  HOST: optionalString,
  PORT: intWithDefault(3000, 0, 65535),
  LOG_LEVEL: optionalString
    .transform((value) => value ?? 'info')
    .pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
  DATABASE_URL: optionalString.refine(
    (value) => value === null || /^postgres(ql)?:\/\//.test(value),
    'must be a postgres:// URL',
  ),
  DATA_DIR: optionalString.transform((value) => value ?? '.data'),
  HUBSPOT_WEBHOOK_TOKEN: optionalString.refine(
    (value) => value === null || value.length >= 16,
    'must be at least 16 characters',
  ),
  HUBSPOT_CLIENT_SECRET: optionalString,
  PUBLIC_URL: optionalUrl,
  HUBSPOT_ACCESS_TOKEN: optionalString,
  HUBSPOT_API_BASE_URL: optionalUrl.transform((value) => value ?? 'https://api.hubapi.com'),
  HUBSPOT_PORTAL_ID: optionalString.refine((value) => value === null || /^\d+$/.test(value), 'must be digits'),
  CATCH_UP_INTERVAL_MINUTES: intWithDefault(15, 0, 1440),
  CATCH_UP_LOOKBACK_HOURS: intWithDefault(24, 1, 168),
  LOCAL_LLM_URL: optionalUrl,
  LOCAL_LLM_TOKEN: optionalString,
  LOCAL_LLM_MODEL: optionalString.transform((value) => value ?? LOCAL_DEFAULTS.model),
  LOCAL_LLM_TIMEOUT_MS: intWithDefault(OLLAMA_DEFAULTS.timeoutMs, 100, 600_000),
  CF_ACCESS_CLIENT_ID: optionalString,
  CF_ACCESS_CLIENT_SECRET: optionalString,
  GROQ_API_KEY: optionalString,
  GROQ_BASE_URL: optionalUrl.transform((value) => value ?? GROQ_DEFAULTS.baseUrl),
  GROQ_MODEL: optionalString.transform((value) => value ?? GROQ_DEFAULTS.model),
  GROQ_TIMEOUT_MS: intWithDefault(GROQ_DEFAULTS.timeoutMs, 100, 600_000),
  TRIAGE_PROVIDERS: optionalString
    .transform((value) =>
      (value ?? DEFAULT_PROVIDER_ORDER.join(',')).split(',').map((name) => name.trim().toLowerCase()),
    )
    .pipe(z.array(z.enum(PROVIDER_NAMES)).min(1, 'must name at least one provider'))
    .refine((names) => new Set(names).size === names.length, 'must not repeat a provider'),
  DISCORD_WEBHOOK_URL: optionalUrl,
  DISCORD_WEBHOOK_URL_CRITICAL: optionalUrl,
  DISCORD_SECURITY_ROLE_ID: optionalString.refine((value) => value === null || /^\d+$/.test(value), 'must be digits'),
  NOTIFY: optionalString.pipe(z.enum(['discord', 'console']).nullable()),
  ADMIN_TOKEN: optionalString.refine((value) => value === null || value.length >= 16, 'must be at least 16 characters'),
  RETENTION_DAYS: intWithDefault(7, 1, 3650),
  WORKER_CONCURRENCY: intWithDefault(4, 0, 64),
  TRIAGE_LEASE_MS: intWithDefault(60_000, 1_000, 3_600_000),
  WEBHOOK_MAX_EVENTS: intWithDefault(100, 1, 10_000),
  PORTAL_TICKETS_PER_MINUTE: intWithDefault(30, 0, 100_000),
  TRUST_PROXY: optionalString.transform((value): boolean | number | string => {
    if (value === null || value.toLowerCase() === 'false') return false;
    if (value.toLowerCase() === 'true') return true;
    return /^\d+$/.test(value) ? Number(value) : value;
  }),
  SOP_FILE: optionalString,
  SOP_DIR: optionalString,
  SOP_TOKEN_BUDGET: intWithDefault(1000, 0, 100_000),
  SOP_TOP_K: intWithDefault(3, 0, 20),
  CLOUD_DAILY_TOKEN_BUDGET: optionalPositiveInt(1_000_000_000_000),
  CLOUD_PRICE_PER_MILLION_TOKENS: optionalDecimal,
  TRIAGE_SHORT_CIRCUIT: booleanWithDefault(true),
  SECURITY_LLM_CHECK: booleanWithDefault(false),
  SECURITY_LLM_CHECK_TIMEOUT_MS: intWithDefault(SECURITY_CHECK_DEFAULTS.timeoutMs, 100, 60_000),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** null: start the embedded PostgreSQL under `dataDir/postgres`. */
  databaseUrl: string | null;
  dataDir: string;
  webhook: { token: string | null; clientSecret: string | null; publicUrl: string | null };
  hubspot: {
    accessToken: string | null;
    apiBaseUrl: string;
    /** The portal (account) id live deliveries carry; the catch-up sweep keys the tickets it queues with it. */
    portalId: string | null;
  };
  /** The sweep that queues tickets whose webhook never arrived; it needs hubspot.accessToken to run. */
  catchUp: {
    /** Minutes between sweeps; 0 disables the sweep. */
    intervalMinutes: number;
    /** How far back each sweep lists tickets (never before the service first ran). */
    lookbackHours: number;
  };
  local: {
    url: string;
    /** True when LOCAL_LLM_URL was set; in development the default URL is tried anyway. */
    explicit: boolean;
    token: string | null;
    model: string;
    timeoutMs: number;
    cfAccessClientId: string | null;
    cfAccessClientSecret: string | null;
  };
  groq: { apiKey: string | null; baseUrl: string; model: string; timeoutMs: number };
  providers: ConfiguredProvider[];
  notify: {
    mode: 'discord' | 'console';
    webhookUrl: string | null;
    criticalWebhookUrl: string | null;
    securityRoleId: string | null;
  };
  adminToken: string | null;
  retentionDays: number;
  /** Jobs run at once by this process; 0 = intake only (workers run elsewhere with `triage worker`). */
  workerConcurrency: number;
  /** How long a worker's claim on a ticket lasts between heartbeats; a dead worker's ticket is retaken after it. */
  leaseMs: number;
  /** Tickets (events) one Webhooks-API delivery may carry; HubSpot sends at most 100. More: 413, nothing queued. */
  webhookMaxEvents: number;
  /** New jobs per portal per minute before the rest are scheduled later (queued, never dropped); 0 = no cap. */
  portalTicketsPerMinute: number;
  /** Which proxies' X-Forwarded-For to believe for the client IP (rate limit, logs): false, true, hops or addresses. */
  trustProxy: boolean | number | string;
  /** SOP knowledge for the prompt. Tokens are estimated as characters / 4. */
  sop: {
    /** Markdown added to the system prompt, cut to tokenBudget. */
    file: string | null;
    /** A folder of markdown files, chunked and indexed in PostgreSQL at start-up; the topK best chunks per ticket. */
    dir: string | null;
    /** SOP text one prompt carries, the file's and the chunks' together. */
    tokenBudget: number;
    topK: number;
  };
  /** Cost guards: what is decided without an LLM, and the cloud provider's daily token budget. */
  cost: {
    /** Obvious auto-replies, bounces and spam are decided by rules before any LLM call. */
    shortCircuit: boolean;
    /** Cloud tokens (prompt + completion) per UTC day; null = no budget. */
    cloudDailyTokenBudget: number | null;
    /** For the cost estimate in /health and /metrics only. */
    cloudPricePerMillionTokens: number | null;
  };
  /** The LLM security check: one yes/no question to an LLM where the security signals did not escalate. */
  securityCheck: { enabled: boolean; timeoutMs: number };
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    // Report what production is missing in the same error, so nobody has to fix the environment in two rounds.
    const named = new Set(problems.map((problem) => problem.split(':')[0]));
    const missing = env.NODE_ENV?.trim() === 'production' ? missingInProduction(env) : [];
    throw new ConfigError([...problems, ...missing.filter((problem) => !named.has(problem.split(':')[0]))]);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const notifyMode = e.NOTIFY ?? (e.DISCORD_WEBHOOK_URL ? 'discord' : 'console');

  const config: Config = {
    env: e.NODE_ENV,
    host: e.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    webhook: { token: e.HUBSPOT_WEBHOOK_TOKEN, clientSecret: e.HUBSPOT_CLIENT_SECRET, publicUrl: e.PUBLIC_URL },
    hubspot: { accessToken: e.HUBSPOT_ACCESS_TOKEN, apiBaseUrl: e.HUBSPOT_API_BASE_URL, portalId: e.HUBSPOT_PORTAL_ID },
    catchUp: { intervalMinutes: e.CATCH_UP_INTERVAL_MINUTES, lookbackHours: e.CATCH_UP_LOOKBACK_HOURS },
    local: {
      url: e.LOCAL_LLM_URL ?? LOCAL_DEFAULTS.url,
      explicit: e.LOCAL_LLM_URL !== null,
      token: e.LOCAL_LLM_TOKEN,
      model: e.LOCAL_LLM_MODEL,
      timeoutMs: e.LOCAL_LLM_TIMEOUT_MS,
      cfAccessClientId: e.CF_ACCESS_CLIENT_ID,
      cfAccessClientSecret: e.CF_ACCESS_CLIENT_SECRET,
    },
    groq: { apiKey: e.GROQ_API_KEY, baseUrl: e.GROQ_BASE_URL, model: e.GROQ_MODEL, timeoutMs: e.GROQ_TIMEOUT_MS },
    providers: e.TRIAGE_PROVIDERS,
    notify: {
      mode: notifyMode,
      webhookUrl: e.DISCORD_WEBHOOK_URL,
      criticalWebhookUrl: e.DISCORD_WEBHOOK_URL_CRITICAL,
      securityRoleId: e.DISCORD_SECURITY_ROLE_ID,
    },
    adminToken: e.ADMIN_TOKEN,
    retentionDays: e.RETENTION_DAYS,
    workerConcurrency: e.WORKER_CONCURRENCY,
    leaseMs: e.TRIAGE_LEASE_MS,
    webhookMaxEvents: e.WEBHOOK_MAX_EVENTS,
    portalTicketsPerMinute: e.PORTAL_TICKETS_PER_MINUTE,
    trustProxy: e.TRUST_PROXY,
    sop: { file: e.SOP_FILE, dir: e.SOP_DIR, tokenBudget: e.SOP_TOKEN_BUDGET, topK: e.SOP_TOP_K },
    cost: {
      shortCircuit: e.TRIAGE_SHORT_CIRCUIT,
      cloudDailyTokenBudget: e.CLOUD_DAILY_TOKEN_BUDGET,
      cloudPricePerMillionTokens: e.CLOUD_PRICE_PER_MILLION_TOKENS,
    },
    securityCheck: { enabled: e.SECURITY_LLM_CHECK, timeoutMs: e.SECURITY_LLM_CHECK_TIMEOUT_MS },
  };

  const problems = crossFieldProblems(config, env);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

function crossFieldProblems(config: Config, env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (config.notify.mode === 'discord' && !config.notify.webhookUrl) {
    problems.push('DISCORD_WEBHOOK_URL: required when NOTIFY=discord');
  }
  if ((config.local.cfAccessClientId === null) !== (config.local.cfAccessClientSecret === null)) {
    problems.push('CF_ACCESS_CLIENT_ID / CF_ACCESS_CLIENT_SECRET: set both or neither');
  }
  const { intervalMinutes, lookbackHours } = config.catchUp;
  if (intervalMinutes > 0 && lookbackHours * 60 < intervalMinutes) {
    // A window shorter than the gap between sweeps would skip the tickets created in between.
    problems.push('CATCH_UP_LOOKBACK_HOURS: must cover CATCH_UP_INTERVAL_MINUTES (tickets between sweeps are missed)');
  }
  if (intervalMinutes > 0 && lookbackHours > config.retentionDays * 24) {
    // A ticket whose processed_tickets row retention already deleted would look never seen and be triaged again.
    problems.push('CATCH_UP_LOOKBACK_HOURS: must not reach back further than RETENTION_DAYS keeps processed tickets');
  }
  if (config.env !== 'production') return problems;

  problems.push(...missingInProduction(env));
  if (config.webhook.clientSecret && !config.webhook.publicUrl) {
    problems.push('PUBLIC_URL: required with HUBSPOT_CLIENT_SECRET (signatures v2/v3 sign the public URL)');
  }
  return problems;
}

/** What production refuses to start without, judged on the raw environment (blank counts as unset). */
function missingInProduction(env: Record<string, string | undefined>): string[] {
  const has = (name: string) => (env[name]?.trim() ?? '') !== '';
  const providers = (env.TRIAGE_PROVIDERS ?? DEFAULT_PROVIDER_ORDER.join(',')).toLowerCase();
  const problems: string[] = [];
  if (!has('DATABASE_URL')) problems.push('DATABASE_URL: required in production');
  if (!has('HUBSPOT_WEBHOOK_TOKEN') && !has('HUBSPOT_CLIENT_SECRET')) {
    problems.push('HUBSPOT_WEBHOOK_TOKEN or HUBSPOT_CLIENT_SECRET: webhook authentication is required in production');
  }
  const hasLlm =
    (providers.includes('local') && has('LOCAL_LLM_URL')) || (providers.includes('groq') && has('GROQ_API_KEY'));
  if (!hasLlm) problems.push('LOCAL_LLM_URL or GROQ_API_KEY: at least one LLM provider is required in production');
  if (!has('DISCORD_WEBHOOK_URL') && !has('NOTIFY')) {
    problems.push('DISCORD_WEBHOOK_URL: required in production (or set NOTIFY=console explicitly)');
  }
  if (!has('ADMIN_TOKEN')) problems.push('ADMIN_TOKEN: required in production (protects the dashboard)');
  return problems;
}

const SECRET_KEYS = new Set(['token', 'clientSecret', 'accessToken', 'cfAccessClientSecret', 'apiKey', 'adminToken']);

/** The config with every secret masked and credentials stripped from URLs, safe to print or log. */
export function describeConfig(config: Config): Record<string, unknown> {
  const mask = (key: string, value: unknown): unknown => {
    if (value === null || value === undefined) return value;
    if (SECRET_KEYS.has(key)) return '***';
    if (typeof value === 'string' && /^(https?|postgres(ql)?):\/\//.test(value)) return maskUrl(key, value);
    if (Array.isArray(value)) return value;
    if (typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(k, v)]));
    }
    return value;
  };
  return mask('', config) as Record<string, unknown>;
}

function maskUrl(key: string, value: string): string {
  const url = new URL(value);
  if (url.password) url.password = '***';
  // A Discord webhook URL's last path segment is its secret token.
  if (/webhookUrl/i.test(key)) url.pathname = url.pathname.replace(/[^/]+$/, '***');
  return url.toString();
}

/** Where the generated development webhook token lives, or null when webhook authentication is configured. */
export function developmentTokenFile(config: Config): string | null {
  if (config.webhook.token || config.webhook.clientSecret || config.env === 'production') return null;
  return resolve(join(config.dataDir, 'webhook-token'));
}
