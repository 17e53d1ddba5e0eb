// The security net: scored evidence from independent kinds of signal (signals.ts), one explicit threshold. Shared by
// the policy guard (which must never miss an escalation, whatever the provider said) and the rules provider (which
// must agree with it). Deterministic, cheap, testable, and blind to instructions inside the ticket: upward steering is
// dropped before scoring (ticket-text.ts), and a request to lower the ticket is itself evidence.
import { readTicketText, type TicketText, withoutAnsweredHistory } from '../ticket-text.ts';
import { reportedText, SIGNALS, type SignalKind } from './signals.ts';
import { withoutRetractedHistory } from './statements.ts';
import { assessIncidentWording, assessWording, wordingModel } from './wording.ts';

export type { SignalKind } from './signals.ts';

/** The learned signal (wording.ts): counted like a strong kind once its probability reaches the model's threshold. */
export const WORDING_KIND = 'wording';

/** A ticket escalates when the weights of its distinct signal kinds add up to this. */
export const SECURITY_THRESHOLD = 1;

export interface SecuritySignalHit {
  kind: SignalKind | typeof WORDING_KIND;
  weight: number;
  reason: string;
}

export interface SecurityAssessment {
  /** Score reached the threshold: the ticket must be escalated to security. */
  escalate: boolean;
  score: number;
  threshold: number;
  /** Every kind that matched (also below the threshold), strongest first; the learned wording only once it reached
   * its own threshold. */
  signals: SecuritySignalHit[];
  /** A hand-written kind reads exposure or misuse that has happened (not only a weakness). */
  incidentEvidence: boolean;
  /** The rules call it critical (a page): the incident evidence, unless the incident wording reads a weakness. */
  incident: boolean;
  /** When a kind read an incident: how much the wording reads like the labelled incidents (p, and the mean weight of
   * its grams; below both thresholds the ticket stays a weakness, HIGH without a page). */
  incidentWording?: { probability: number; threshold: number; meanWeight: number; meanThreshold: number | undefined };
}

/** What the net reads of a ticket: what it reports (signals.ts), and of a reply that takes back what it quotes, only
 * its newest message. The learned models are trained on exactly this (eval/wording-training.ts). */
export function reportOf(text: TicketText): TicketText {
  return reportedText(withoutRetractedHistory(text));
}

export function assessSecurity(text: TicketText): SecurityAssessment {
  const signals: SecuritySignalHit[] = [];
  let incidentEvidence = false;
  const reported = reportOf(text);
  // Only the newest message can make it an incident when the ticket quotes a thread our support answered: people have
  // seen the rest already. The history still escalates.
  const newest = withoutAnsweredHistory(reported);
  for (const signal of SIGNALS) {
    if (!signal.test(reported)) continue;
    signals.push({ kind: signal.kind, weight: signal.weight, reason: signal.reason });
    if (newest !== reported && !signal.test(newest)) continue;
    if (typeof signal.incident === 'function' ? signal.incident(newest) : signal.incident) incidentEvidence = true;
  }
  // Never incident evidence: the wording alone can escalate to HIGH, never page anyone.
  const wording = assessWording(reported);
  if (wording.reached) {
    const cues = wording.cues.length > 0 ? `; words: ${wording.cues.join(', ')}` : '';
    signals.push({
      kind: WORDING_KIND,
      weight: SECURITY_THRESHOLD,
      reason: `reads like the labelled security reports (p ${wording.probability.toFixed(2)}${cues})`,
    });
  }
  signals.sort((a, b) => b.weight - a.weight);
  // Rounded so 0.6 + 0.4 reaches 1 despite binary fractions.
  const score = Math.round(signals.reduce((sum, s) => sum + s.weight, 0) * 100) / 100;
  const escalate = score >= SECURITY_THRESHOLD;
  const assessment: SecurityAssessment = {
    escalate,
    score,
    threshold: SECURITY_THRESHOLD,
    signals,
    incidentEvidence: escalate && incidentEvidence,
    incident: false,
  };
  if (escalate && incidentEvidence) {
    // A pattern reads exposure or misuse; the learned incident reading must agree before anyone is paged. Measured on
    // earlier held-out fifths, the patterns alone paged for one weakness or non-report in eight (eval/RESULTS.md).
    const wordingIncident = assessIncidentWording(reported);
    assessment.incident = wordingIncident.reached;
    const model = wordingModel('incident');
    assessment.incidentWording = {
      probability: round2(wordingIncident.probability),
      threshold: model.threshold,
      meanWeight: round2(wordingIncident.meanWeight),
      meanThreshold: model.meanThreshold,
    };
  }
  return assessment;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Convenience for callers holding the subject and body. */
export function detectSecuritySignal(subject: string, body = ''): SecurityAssessment {
  return assessSecurity(readTicketText(subject, body));
}

/** "credential (0.5), public place (0.5)": the why, for notes and the embed. */
export function describeSignals(assessment: SecurityAssessment): string {
  return assessment.signals.map((s) => `${s.reason} (${s.kind}, ${s.weight})`).join('; ');
}
