// Counting from the outside: waits (with a deadline) for the queue to drain, then compares what the driver got
// acknowledged with what the fake Discord received, and prints the scenario's one result line. Definitions:
//   lost                    acknowledged tickets with no Discord message once drained (or at the deadline)
//   duplicates              tickets with more than one message, minus those the post-then-crash window explains
//   post_then_crash_window  extra messages explained by the window: a message answered 2xx just before a SIGKILL of a
//                           process that never logged pipeline.posted for that ticket, posted again after it
//   recover_ms              fault end → first 2xx to any delivery (intake accepts again); -1 never
//   notify_recover_ms       fault end → first message for a ticket first delivered after the fault end; -1 never
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { ticketIdOf } from '../../helpers/pipeline.ts';
import type { DriverResult } from './driver.ts';
import type { Scenario } from './rig.ts';

export interface Counts {
  fault: string;
  acknowledged: number;
  notified_once: number;
  lost: number;
  duplicates: number;
  post_then_crash_window: number;
  unacked: number;
  recover_ms: number | 'n/a';
  notify_recover_ms: number | 'n/a';
  drained: 'yes' | 'no';
  /** Ids behind lost / duplicates, for the assertion messages (not printed on the line). */
  lostIds: string[];
  duplicateIds: Map<string, number>;
  extra: Record<string, string | number>;
}

/** performance.now() of every message Discord accepted (2xx), per ticket. */
export function messagesByTicket(scenario: Scenario): Map<string, number[]> {
  const byTicket = new Map<string, number[]>();
  for (const request of scenario.discord.requests) {
    if (request.status === null || request.status < 200 || request.status >= 300) continue;
    const id = ticketIdOf(request) ?? '(no ticket id)';
    byTicket.set(id, [...(byTicket.get(id) ?? []), request.receivedAt]);
  }
  return byTicket;
}

export async function pendingJobs(scenario: Scenario): Promise<number | null> {
  try {
    const { rows } = await scenario.pool.query<{ n: number }>(
      `select count(*)::int as n from graphile_worker.jobs
        where task_identifier = 'triage-ticket' and attempts < max_attempts`,
    );
    return rows[0]?.n ?? 0;
  } catch {
    return null;
  }
}

/**
 * Waits until every acknowledged ticket (but those in `exempt`) has a message and no triage job is left to run, or
 * until the deadline. Never throws: what is missing at the deadline is what the counts report.
 */
export async function drain(
  scenario: Scenario,
  acknowledged: Iterable<string>,
  options: { timeoutMs: number; exempt?: Set<string> },
): Promise<boolean> {
  const deadline = performance.now() + options.timeoutMs;
  const expected = [...acknowledged].filter((id) => !options.exempt?.has(id));
  for (;;) {
    const messages = messagesByTicket(scenario);
    if (expected.every((id) => messages.has(id)) && (await pendingJobs(scenario)) === 0) return true;
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export function count(
  fault: string,
  scenario: Scenario,
  result: DriverResult,
  options: { drained: boolean; faultEnd?: number; exempt?: Set<string>; extra?: Record<string, string | number> },
): Counts {
  const messages = messagesByTicket(scenario);
  const killed = scenario.services.filter((s) => s.killedWith === 'SIGKILL');
  const lostIds = [...result.acknowledged].filter((id) => !messages.has(id) && !options.exempt?.has(id));
  const duplicateIds = new Map<string, number>();
  let window = 0;
  let once = 0;
  for (const id of result.acknowledged) {
    const times = (messages.get(id) ?? []).sort((a, b) => a - b);
    if (times.length === 1) once += 1;
    if (times.length <= 1) continue;
    const explained = times
      .slice(0, -1)
      .every((t, i) =>
        killed.some((k) => t <= k.killedAt! && k.killedAt! < times[i + 1]! && !k.notified().includes(id)),
      );
    if (explained) window += times.length - 1;
    else duplicateIds.set(id, times.length);
  }
  for (const [id, times] of messages) {
    if (!result.acknowledged.has(id) && times.length > 1) duplicateIds.set(id, times.length);
  }
  let recover: number | 'n/a' = 'n/a';
  let notifyRecover: number | 'n/a' = 'n/a';
  if (options.faultEnd !== undefined) {
    const end = options.faultEnd;
    const acks = result.deliveries.map((d) => d.ackAt).filter((t): t is number => t !== null && t >= end);
    recover = acks.length > 0 ? Math.round(Math.min(...acks) - end) : -1;
    const firstSent = new Map<string, number>();
    for (const d of result.deliveries) if (!firstSent.has(d.id)) firstSent.set(d.id, d.firstSentAt);
    const after = [...messages]
      .filter(([id]) => (firstSent.get(id) ?? -1) >= end)
      .flatMap(([, times]) => times)
      .filter((t) => t >= end);
    notifyRecover = after.length > 0 ? Math.round(Math.min(...after) - end) : -1;
  }
  return {
    fault,
    acknowledged: result.acknowledged.size,
    notified_once: once,
    lost: lostIds.length,
    duplicates: duplicateIds.size,
    post_then_crash_window: window,
    unacked: result.unacknowledged.size,
    recover_ms: recover,
    notify_recover_ms: notifyRecover,
    drained: options.drained ? 'yes' : 'no',
    lostIds,
    duplicateIds,
    extra: options.extra ?? {},
  };
}

export function resultLine(counts: Counts): string {
  const fields: Record<string, unknown> = {
    fault: counts.fault,
    acknowledged: counts.acknowledged,
    notified_once: counts.notified_once,
    lost: counts.lost,
    duplicates: counts.duplicates,
    post_then_crash_window: counts.post_then_crash_window,
    unacked: counts.unacked,
    recover_ms: counts.recover_ms,
    notify_recover_ms: counts.notify_recover_ms,
    drained: counts.drained,
    ...counts.extra,
  };
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** Prints the line (and appends it to $FAULTS_RESULTS for the runner's summary). */
export function report(counts: Counts): void {
  const line = resultLine(counts);
  console.log(line);
  if (process.env.FAULTS_RESULTS) appendFileSync(process.env.FAULTS_RESULTS, `${line}\n`);
}

/** lost = 0 and duplicates = 0, with the ids when not. */
export function assertInvariants(counts: Counts): void {
  const sample = (ids: string[]) => ids.slice(0, 10).join(', ') + (ids.length > 10 ? ', ...' : '');
  const dups = [...counts.duplicateIds].map(([id, n]) => `${id}×${n}`);
  assert.equal(
    counts.lost,
    0,
    `${counts.fault}: ${counts.lost} acknowledged ticket(s) never reached Discord: ${sample(counts.lostIds)}`,
  );
  assert.equal(counts.duplicates, 0, `${counts.fault}: ticket(s) posted more than once: ${sample(dups)}`);
}
