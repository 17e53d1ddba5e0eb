// Builds the /health report (CONTRACTS.md §6) from the parts that can fail: the database, the queue, the LLM
// providers' breakers, and warnings other modules raise (tickets not posted, a Discord configuration error). Every
// part is read through a function the service passes in, so this module knows no store and no queue.
import type { CloudBudgetStatus } from '../domain/providers.ts';

export interface DependencyStatus {
  status: 'up' | 'down' | 'unknown' | 'disabled' | 'rate_limited';
  [detail: string]: unknown;
}

export interface HealthReport {
  status: 'healthy' | 'degraded';
  timestamp: string;
  version: string;
  uptime_seconds: number;
  dependencies: {
    database: { status: 'up' | 'down'; latency_ms: number; error?: string };
    queue: QueueHealth;
    local_llm: DependencyStatus;
    cloud_llm: DependencyStatus;
    discord?: DependencyStatus;
  };
  warnings: string[];
}

/** The queue as /health shows it: whether this process's runner works, and the depth when the database answers. */
export type QueueHealth = {
  status: 'running' | 'restarting' | 'down' | 'disabled' | 'unknown';
  error?: string;
} & Partial<QueueCounts>;

/** Queue depth as /health shows it. */
export interface QueueCounts {
  /** Tickets committed by intake whose job a worker process has not added yet (normally for milliseconds). */
  staged: number;
  /** Jobs waiting or being retried. */
  pending: number;
  /** Jobs that used up their attempts (kept by graphile-worker until removed). */
  failed: number;
}

export interface HealthSources {
  version: string;
  startedAt: number;
  now?: () => number;
  /** A cheap round trip to the database. */
  database: () => Promise<{ healthy: boolean; latencyMs: number }>;
  /** Queue depth; only asked when the database answered. */
  queueCounts: () => Promise<QueueCounts>;
  /** Provider state (circuit breakers); absent until the triage engine is wired. */
  providers?: () => { local: DependencyStatus; cloud: DependencyStatus };
  /** This process's queue runner; absent when the process only takes deliveries (WORKER_CONCURRENCY=0). */
  queueRunner?: () => { state: string; lastError: string | null };
  /** Where messages go: Discord's rate-limit state, or the console sink; absent in an intake-only process. */
  discord?: () => DependencyStatus;
  /** Today's cloud token count against CLOUD_DAILY_TOKEN_BUDGET; absent when no budget is set. */
  cloudBudget?: () => Promise<CloudBudgetStatus>;
  /** Operator-facing warnings raised elsewhere (e.g. tickets not posted, Discord misconfiguration). */
  warnings?: () => Promise<string[]> | string[];
}

export const BUDGET_SPENT_HEALTH_WARNING = 'cloud token budget spent until 00:00 UTC: tickets skip the cloud provider';

export function createHealthReporter(sources: HealthSources) {
  const now = sources.now ?? Date.now;
  return async function report(): Promise<HealthReport> {
    const db = await sources.database();
    const warnings: string[] = [];
    const runner = sources.queueRunner?.();
    const queue: QueueHealth = { status: runner ? runnerStatus(runner.state) : 'disabled' };
    if (runner && queue.status !== 'running') {
      queue.error = runner.lastError ?? undefined;
      warnings.push(`queue runner ${queue.status}: tickets wait until it runs again (it restarts by itself)`);
    }
    if (db.healthy) {
      try {
        Object.assign(queue, await sources.queueCounts());
        if (queue.failed! > 0) warnings.push(`${queue.failed} job(s) exhausted their retries`);
      } catch {
        warnings.push('queue counts unavailable');
      }
      warnings.push(...(await (sources.warnings?.() ?? [])));
    } else {
      warnings.push('database unreachable: new deliveries are refused with 503 until it is back');
    }
    const discord = sources.discord?.();
    if (discord?.status === 'rate_limited') {
      warnings.push(`discord rate limited until ${discord.blocked_until}: posts wait (one probe at a time)`);
    }
    const providers = sources.providers?.() ?? {
      local: { status: 'unknown' as const },
      cloud: { status: 'unknown' as const },
    };
    let cloud: DependencyStatus = providers.cloud;
    if (db.healthy && sources.cloudBudget) {
      try {
        const budget = await sources.cloudBudget();
        cloud = {
          ...cloud,
          budget: {
            day: budget.day,
            used_tokens: budget.usedTokens,
            limit_tokens: budget.limitTokens,
            spent: budget.spent,
            resets_at: budget.resetsAt,
            estimated_cost: budget.estimatedCost,
          },
        };
        if (budget.spent) warnings.push(BUDGET_SPENT_HEALTH_WARNING);
      } catch {
        warnings.push('cloud token budget unreadable');
      }
    }
    for (const [name, provider] of [
      ['local_llm', providers.local],
      ['cloud_llm', providers.cloud],
    ] as const) {
      if (provider.status === 'down') {
        warnings.push(`${name} circuit open: tickets fall back to the next provider until it answers again`);
      }
    }
    return {
      status: db.healthy && warnings.length === 0 ? 'healthy' : 'degraded',
      timestamp: new Date(now()).toISOString(),
      version: sources.version,
      uptime_seconds: Math.round((now() - sources.startedAt) / 1000),
      dependencies: {
        database: db.healthy
          ? { status: 'up', latency_ms: round(db.latencyMs) }
          : { status: 'down', latency_ms: round(db.latencyMs), error: 'unreachable' },
        queue,
        local_llm: providers.local,
        cloud_llm: cloud,
        ...(discord ? { discord } : {}),
      },
      warnings,
    };
  };
}

function runnerStatus(state: string): QueueHealth['status'] {
  if (state === 'running') return 'running';
  if (state === 'restarting' || state === 'starting') return 'restarting';
  return 'down';
}

const round = (ms: number) => Math.round(ms * 100) / 100;
