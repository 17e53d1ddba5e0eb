// The report's arithmetic on hand-made outcomes: each rate's numerator and denominator, the empty-denominator null,
// the confusion matrix, nearest-rank percentiles, and how a ticket without output counts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkTicket, computeSplitReport, computeSplits, percentile } from '../../../src/eval/metrics.ts';
import type { TicketOutcome } from '../../../src/eval/run.ts';

type Got = TicketOutcome['got'];
const got = (priority: string, handling_mode: string, action: string): Got => ({
  priority,
  handling_mode,
  action,
  escalated: action === 'Escalate to security',
});

function outcome(id: string, labels: Partial<TicketOutcome['labels']>, g: Got, extra: Partial<TicketOutcome> = {}) {
  return {
    id,
    split: 'main',
    kind: 'bug',
    labels: {
      priorities: ['medium'],
      handling_modes: ['reply_and_internal_followup'],
      internal_actions: ['Create bug report'],
      security: false,
      ...labels,
    },
    got: g,
    error: g === null ? 'timeout' : null,
    provider: g === null ? null : 'local',
    model: g === null ? null : 'm',
    schema: g === null ? 'no_answer' : 'valid',
    latency_ms: 10,
    tokens: { prompt: 0, completion: 0 },
    ...extra,
  } as TicketOutcome;
}

const SEC: TicketOutcome['labels'] = {
  priorities: ['high', 'critical'],
  handling_modes: ['reply_and_internal_followup'],
  internal_actions: ['Escalate to security'],
  security: true,
};

describe('checkTicket', () => {
  test('exact is the first listed priority; acceptable is any listed one; pass needs all four checks', () => {
    const o = outcome(
      'a',
      { priorities: ['high', 'critical'] },
      got('critical', 'reply_and_internal_followup', 'Create bug report'),
    );
    const c = checkTicket(o);
    assert.deepEqual(c, {
      priority_exact: false,
      priority: true,
      handling_mode: true,
      action: true,
      security: true,
      pass: true,
    });
    assert.equal(
      checkTicket(outcome('b', { priorities: ['high', 'critical'] }, got('high', 'reply_only', 'None'))).pass,
      false,
    );
  });

  test('a ticket without output fails every check, including security on a non-security ticket', () => {
    assert.deepEqual(checkTicket(outcome('a', {}, null)), {
      priority_exact: false,
      priority: false,
      handling_mode: false,
      action: false,
      security: false,
      pass: false,
    });
  });
});

describe('computeSplitReport', () => {
  test('rates with the counts behind them, computed by hand', () => {
    const outcomes = [
      // 1: exact, all pass.
      outcome('1', {}, got('medium', 'reply_and_internal_followup', 'Create bug report')),
      // 2: priority acceptable but not exact (second listed), mode wrong.
      outcome('2', { priorities: ['low', 'medium'] }, got('medium', 'reply_only', 'Create bug report')),
      // 3: security ticket escalated, critical acceptable (not a false critical).
      outcome('3', SEC, got('critical', 'reply_and_internal_followup', 'Escalate to security')),
      // 4: security ticket missed.
      outcome('4', SEC, got('medium', 'reply_and_internal_followup', 'Create bug report')),
      // 5: non-security escalated and critical where critical is not acceptable; repaired answer.
      outcome('5', { priorities: ['high'] }, got('critical', 'reply_and_internal_followup', 'Escalate to security'), {
        schema: 'repaired',
      }),
      // 6: no output; answered invalidly.
      outcome('6', {}, null, { schema: 'invalid', error: 'invalid_output' }),
    ];
    const r = computeSplitReport(outcomes);
    assert.equal(r.tickets, 6);
    assert.equal(r.errors, 1);
    // exact (output = first listed): only 1 (2 gave its second choice, 3 critical for high, 4/5 wrong, 6 none) → 1/6
    assert.deepEqual(r.metrics.priority_exact, { hits: 1, total: 6, value: 1 / 6 });
    // acceptable: 1, 2, 3 → 3/6
    assert.deepEqual(r.metrics.priority_acceptable, { hits: 3, total: 6, value: 0.5 });
    // mode: 1, 3, 4, 5 → 4/6
    assert.deepEqual(r.metrics.handling_mode, { hits: 4, total: 6, value: 4 / 6 });
    // action: 1, 2, 3 → 3/6 (4 should escalate; 5 must not)
    assert.deepEqual(r.metrics.action, { hits: 3, total: 6, value: 0.5 });
    // security: labelled 3, 4 → escalated 3 → recall 1/2; escalated 3, 5 → precision 1/2
    assert.deepEqual(r.metrics.security_recall, { hits: 1, total: 2, value: 0.5 });
    assert.deepEqual(r.metrics.security_precision, { hits: 1, total: 2, value: 0.5 });
    // critical not acceptable: 1, 2, 5, 6 (3 and 4 accept it) → critical output only on 5 → 1/4
    assert.deepEqual(r.metrics.false_critical_rate, { hits: 1, total: 4, value: 0.25 });
    // answered: all 6 (6 answered invalidly) → valid first time: 1-4 → 4/6; after repair 5/6
    assert.deepEqual(r.metrics.schema_valid_before_repair, { hits: 4, total: 6, value: 4 / 6 });
    assert.deepEqual(r.metrics.schema_valid_after_repair, { hits: 5, total: 6, value: 5 / 6 });
    assert.deepEqual(r.confusion.medium, { low: 0, medium: 1, high: 0, critical: 0, none: 1 });
    assert.deepEqual(r.confusion.low, { low: 0, medium: 1, high: 0, critical: 0, none: 0 });
    assert.deepEqual(r.confusion.high, { low: 0, medium: 1, high: 0, critical: 2, none: 0 });
    assert.deepEqual(r.by_provider, { local: 5 });
    assert.deepEqual(r.errors_by_class, { invalid_output: 1 });
    // all six are kind bug; passing all four checks: 1 and 3 → 2/6
    assert.deepEqual(r.by_kind, { bug: { tickets: 6, pass: 2 } });
  });

  test('no_answer tickets are outside the schema rates; empty denominators are null, not 0', () => {
    const r = computeSplitReport([outcome('1', {}, null), outcome('2', {}, got('low', 'reply_only', 'None'))]);
    assert.deepEqual(r.metrics.schema_valid_before_repair, { hits: 1, total: 1, value: 1 });
    assert.equal(r.metrics.security_recall.value, null);
    assert.equal(r.metrics.security_precision.value, null);
    const empty = computeSplitReport([]);
    assert.equal(empty.metrics.priority_exact.value, null);
    assert.deepEqual(empty.latency_ms, { p50: null, p95: null, mean: null });
  });

  test('latency percentiles and token sums', () => {
    const outcomes = [10, 50, 20, 40, 30].map((ms, i) =>
      outcome(String(i), {}, got('medium', 'reply_only', 'None'), {
        latency_ms: ms,
        tokens: { prompt: 100, completion: i },
      }),
    );
    const r = computeSplitReport(outcomes);
    // sorted 10 20 30 40 50: p50 = rank ceil(2.5) = 3rd = 30; p95 = rank ceil(4.75) = 5th = 50; mean 30
    assert.deepEqual(r.latency_ms, { p50: 30, p95: 50, mean: 30 });
    assert.deepEqual(r.tokens, { prompt: 500, completion: 10 });
  });

  test('splits: all, main and heldout, each computed on its own tickets', () => {
    const splits = computeSplits([
      outcome('1', {}, got('medium', 'reply_only', 'None')),
      outcome('2', {}, got('low', 'reply_only', 'None'), { split: 'heldout' }),
    ]);
    assert.equal(splits.all.tickets, 2);
    assert.equal(splits.main.metrics.priority_exact.value, 1);
    assert.equal(splits.heldout.metrics.priority_exact.value, 0);
  });
});

test('percentile is nearest-rank', () => {
  assert.equal(percentile([], 50), null);
  assert.equal(percentile([7], 95), 7);
  assert.equal(percentile([4, 1, 3, 2], 50), 2);
  assert.equal(
    percentile(
      Array.from({ length: 100 }, (_, i) => i + 1),
      95,
    ),
    95,
  );
});
