// Cost guard: the cloud provider's daily token budget (CLOUD_DAILY_TOKEN_BUDGET). Tokens are counted per UTC day in
// a counter every process shares (PostgreSQL, through the function the service passes in), so the budget holds
// across restarts and worker processes. Once the day's count reaches the budget the chain skips the cloud until
// 00:00 UTC. The check and the count are not one transaction: calls already in flight when the budget runs out still
// land, so the day may end a few calls over it.
import type { CloudBudgetStatus } from '../domain/providers.ts';
import type { Logger } from '../observability/logger.ts';

export type { CloudBudgetStatus } from '../domain/providers.ts';

/** The shared per-day counter; `day` is a UTC date, YYYY-MM-DD. */
export interface TokenCounter {
  read(day: string): Promise<number>;
  /** Adds tokens to the day and returns its new total. */
  add(day: string, tokens: number): Promise<number>;
}

export interface CloudBudget {
  /** Whether the cloud may be called now. Fails open (and logs) when the counter cannot be read. */
  allows(): Promise<boolean>;
  /** Counts tokens a cloud call used (prompt and completion). Never throws. */
  record(tokens: number): Promise<void>;
  /** Today's reading, for /health and /metrics. Throws when the counter cannot be read. */
  status(): Promise<CloudBudgetStatus>;
}

export interface CloudBudgetOptions {
  dailyTokens: number;
  pricePerMillionTokens?: number | null;
  counter: TokenCounter;
  logger: Logger;
  /** Wall clock (the UTC day comes from it); tests pass a fake one. */
  now?: () => Date;
}

export const BUDGET_SPENT_WARNING = 'cloud token budget spent until 00:00 UTC';

export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

export function nextUtcMidnight(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1));
}

export function createCloudBudget(options: CloudBudgetOptions): CloudBudget {
  const { dailyTokens, counter, logger } = options;
  const now = options.now ?? (() => new Date());
  const price = options.pricePerMillionTokens ?? null;
  // The day whose exhaustion was logged, so the warning appears once per day and process, not once per ticket.
  let warnedDay: string | null = null;

  const warnOnce = (day: string, used: number) => {
    if (warnedDay === day) return;
    warnedDay = day;
    logger.warn({ day, used_tokens: used, budget_tokens: dailyTokens }, BUDGET_SPENT_WARNING);
  };

  return {
    async allows() {
      const day = utcDay(now());
      try {
        const used = await counter.read(day);
        if (used < dailyTokens) return true;
        warnOnce(day, used);
        return false;
      } catch (error) {
        // A database outage stalls the whole pipeline anyway; the cost guard must not turn it into a triage failure.
        logger.warn({ err: { message: (error as Error).message } }, 'cloud token budget unreadable: cloud allowed');
        return true;
      }
    },
    async record(tokens) {
      if (!(tokens > 0)) return;
      const day = utcDay(now());
      try {
        const used = await counter.add(day, Math.round(tokens));
        if (used >= dailyTokens) warnOnce(day, used);
      } catch (error) {
        logger.warn({ err: { message: (error as Error).message }, tokens }, 'cloud tokens not counted');
      }
    },
    async status() {
      const at = now();
      const day = utcDay(at);
      const used = await counter.read(day);
      return {
        day,
        usedTokens: used,
        limitTokens: dailyTokens,
        spent: used >= dailyTokens,
        resetsAt: nextUtcMidnight(at).toISOString(),
        estimatedCost: price === null ? null : Math.round(used * price) / 1e6,
      };
    },
  };
}

/** An in-memory counter for one process (tests and one-shot tools); the service uses the PostgreSQL one. */
export function createMemoryTokenCounter(): TokenCounter {
  const days = new Map<string, number>();
  return {
    read: async (day) => days.get(day) ?? 0,
    add: async (day, tokens) => {
      const total = (days.get(day) ?? 0) + tokens;
      days.set(day, total);
      return total;
    },
  };
}
