// The triage task's choices in one place: after each stage that can go wrong, whether the job retries later, the
// ticket ends (with or without a post) or the work goes on. Pure, so the whole table is unit-tested; the task only
// carries the choice out. The one rule behind most rows: a person must hear about every ticket, so the last attempt
// posts what it has (a TRIAGE FAILED message) rather than retrying into nothing, and nothing after a post retries it.

export type Stage =
  /** Someone else holds the ticket's claim (a live lease). */
  | { stage: 'claim_held' }
  /** The ticket is already posted (either way), or a Discord message is recorded for it. */
  | { stage: 'claim_posted' }
  /** Fetching an event-only ticket from HubSpot failed. */
  | { stage: 'enrich'; retryable: boolean }
  /** Every provider failed because the worker is shutting down (a deploy, not a triage failure). */
  | { stage: 'triage_aborted' }
  /** Discord refused or was unreachable; `config` = a 4xx that needs a person. */
  | { stage: 'notify'; config: boolean }
  /** Anything unexpected before the post (a bug, or the database went away). */
  | { stage: 'internal' };

export type Decision =
  /** Complete the job, change nothing. */
  | { action: 'skip' }
  /** Give the claim back and fail the job so graphile-worker retries it with back-off. */
  | { action: 'retry' }
  /** Post a TRIAGE FAILED message instead of a triage (the ticket could not be fetched). */
  | { action: 'post_failure' }
  /** End the ticket `not_posted` (a person finds it on /health or the dashboard and replays it). */
  | { action: 'fail'; rethrow: boolean };

export function decide(step: Stage, attempt: { number: number; max: number }): Decision {
  const last = attempt.number >= attempt.max;
  switch (step.stage) {
    case 'claim_posted':
      return { action: 'skip' };
    case 'claim_held':
      // The holder renews its lease while it works, or its lease expires and a later attempt takes over.
      return { action: 'retry' };
    case 'enrich':
      return step.retryable && !last ? { action: 'retry' } : { action: 'post_failure' };
    case 'triage_aborted':
      return last ? { action: 'post_failure' } : { action: 'retry' };
    case 'notify':
      // A configuration error will not heal by retrying; the job completes and waits for `triage replay`.
      if (step.config) return { action: 'fail', rethrow: false };
      return last ? { action: 'fail', rethrow: false } : { action: 'retry' };
    case 'internal':
      return last ? { action: 'fail', rethrow: true } : { action: 'retry' };
  }
}
