// The one vocabulary for where a ticket stands, shared by the database, the dashboard, metrics, the CLI and the docs
// (docs/operations.md "Ticket states" repeats STATE_GUIDE; a test keeps them equal). "Failed" is deliberately not a
// state: a TRIAGE FAILED message that reached Discord is `posted_as_failure` (a person has it), and a ticket nobody
// was told about is `not_posted` (a person must act).

export const TICKET_STATES = ['queued', 'triaging', 'posted', 'posted_as_failure', 'not_posted'] as const;
export type TicketState = (typeof TICKET_STATES)[number];

/** A message about the ticket reached Discord: final, never posted again (unless `triage replay --force`). */
export const POSTED_STATES = ['posted', 'posted_as_failure'] as const satisfies readonly TicketState[];
export type PostedState = (typeof POSTED_STATES)[number];

/** How a ticket ends, and how one worker attempt (a `triage_runs` row) ends: an attempt that was retried is `not_posted`. */
export const RUN_OUTCOMES = ['posted', 'posted_as_failure', 'not_posted'] as const satisfies readonly TicketState[];
export type FinalState = (typeof RUN_OUTCOMES)[number];

/** Still on its way: counted as "in progress". */
export const IN_PROGRESS_STATES = ['queued', 'triaging'] as const satisfies readonly TicketState[];

export function isPosted(state: string): state is PostedState {
  return (POSTED_STATES as readonly string[]).includes(state);
}

export function isTicketState(value: string): value is TicketState {
  return (TICKET_STATES as readonly string[]).includes(value);
}

/** Each state's meaning and what a person does about it, in one line each (docs, dashboard and CLI help show these). */
export const STATE_GUIDE: Record<TicketState, { meaning: string; action: string }> = {
  queued: {
    meaning: 'committed by intake, replay or the catch-up sweep; waiting for a worker',
    action: 'nothing; if many stay queued, check that a worker runs (/health queue)',
  },
  triaging: {
    meaning: 'a worker claimed it and is triaging it, or its job waits for a retry',
    action: 'nothing; the lease sweeper ends it not_posted if its job is gone',
  },
  posted: {
    meaning: 'the triage recommendation was posted to Discord',
    action: 'nothing; read it in Discord',
  },
  posted_as_failure: {
    meaning:
      'a TRIAGE FAILED message was posted instead of a triage (every provider failed, or HubSpot could not be read)',
    action: 'triage it by hand from the message; the provider or HubSpot error is in it',
  },
  not_posted: {
    meaning: 'nothing reached Discord (Discord refused or stayed down, or its job ended without an outcome)',
    action: 'fix the cause named in /health or the dashboard, then triage replay <ticket_id>',
  },
};

export interface OutcomeCounts {
  posted: number;
  posted_as_failure: number;
  not_posted: number;
}

/**
 * The share of ended tickets that got a real triage: posted / (posted + posted_as_failure + not_posted). A TRIAGE
 * FAILED message is not a success. Null when no ticket has ended.
 */
export function successRate(counts: OutcomeCounts): number | null {
  const ended = counts.posted + counts.posted_as_failure + counts.not_posted;
  return ended === 0 ? null : counts.posted / ended;
}

/** How the success rate is computed, in words (CLI help, dashboard). */
export const SUCCESS_RATE_RULE =
  'success rate = posted / (posted + posted_as_failure + not_posted); n/a (null in JSON) when no ticket ended';
