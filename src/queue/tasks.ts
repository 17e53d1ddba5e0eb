// The job queue's typed task registry: every task name with its versioned payload. graphile-worker reads the
// global `GraphileWorker.Tasks` interface, so `addJob` and task handlers are checked against these payloads.
import type { TriageTicketPayload } from '../domain/job.ts';

export const TRIAGE_TICKET = 'triage-ticket';
export const RETENTION_CLEANUP = 'retention-cleanup';
export const CATCH_UP_SWEEP = 'catch-up-sweep';

export interface RetentionCleanupPayload {
  _cron?: { ts: string; backfilled?: boolean };
}

declare global {
  namespace GraphileWorker {
    interface Tasks {
      'triage-ticket': TriageTicketPayload;
      'retention-cleanup': RetentionCleanupPayload;
      'catch-up-sweep': RetentionCleanupPayload;
    }
  }
}

/**
 * Retention daily at 03:17 UTC (off the hour, away from everyone else's cron jobs); the catch-up sweep every
 * `catchUpMinutes` (0: off). graphile-worker runs each once per schedule across all replicas.
 */
export function crontab(catchUpMinutes = 0): string {
  const lines = [`17 3 * * * ${RETENTION_CLEANUP}`];
  if (catchUpMinutes > 0) lines.push(`${catchUpSchedule(catchUpMinutes)} ${CATCH_UP_SWEEP}`);
  return lines.join('\n');
}

/** A cron schedule for "every n minutes": minute steps below an hour, hour steps above (rounded to whole hours). */
function catchUpSchedule(minutes: number): string {
  if (minutes < 60) return `*/${minutes} * * * *`;
  const hours = Math.max(1, Math.round(minutes / 60));
  return hours >= 24 ? '41 4 * * *' : `41 */${hours} * * *`;
}

/** NOTIFY channel on which intake tells the queue mover that tickets were committed. */
export const INBOX_CHANNEL = 'hubspot_triage_inbox';

/** Attempts per triage job; graphile-worker's exponential back-off spreads 8 attempts over about 80 minutes. */
export const TRIAGE_MAX_ATTEMPTS = 8;
