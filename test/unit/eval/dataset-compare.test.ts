// Loading the labelled set (errors name line, id and field), the shipped set itself, comparing two reports
// (regressions beyond the tolerance, flipped tickets) and the gate's threshold check.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareReports, DEFAULT_TOLERANCE } from '../../../src/eval/compare.ts';
import { DEFAULT_EVAL_FILE, EvalInputError, loadEvalSet, parseEvalSet } from '../../../src/eval/dataset.ts';
import { buildReport, type EvalReport, parseStoredReport } from '../../../src/eval/report.ts';
import type { TicketOutcome } from '../../../src/eval/run.ts';
import { checkThresholds, parseThresholds } from '../../../src/eval/thresholds.ts';

const line = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: 't001',
    split: 'main',
    kind: 'howto',
    ticket: {
      subject: 'How do I export?',
      body: 'Where is the export button?',
      customer_tier: 'pro',
      product_area: null,
      customer_name: null,
      from_email: null,
    },
    labels: { priorities: ['low'], handling_modes: ['reply_only'], internal_actions: ['None'], security: false },
    note: 'how-to',
    ...overrides,
  });

describe('parseEvalSet', () => {
  test('reads valid lines and skips blank ones', () => {
    const tickets = parseEvalSet(`${line()}\n\n${line({ id: 't002', split: 'heldout' })}\n`);
    assert.deepEqual(
      tickets.map((t) => [t.id, t.split]),
      [
        ['t001', 'main'],
        ['t002', 'heldout'],
      ],
    );
  });

  test('every problem names its line, ticket id and field', () => {
    const bad = [
      line(),
      '{not json',
      line({
        id: 't003',
        labels: { priorities: ['urgent'], handling_modes: [], internal_actions: ['None'], security: 'no' },
      }),
      line({ id: 't001' }),
      line({ id: 't004', ticket: { subject: ' ', body: 'x' } }),
    ].join('\n');
    assert.throws(
      () => parseEvalSet(bad, 'bad.jsonl'),
      (error: unknown) => {
        assert.ok(error instanceof EvalInputError);
        const text = error.problems.join('\n');
        assert.match(text, /^line 2: not valid JSON/m);
        assert.match(text, /^line 3 \(t003\): labels\.priorities\.0: /m);
        assert.match(text, /^line 3 \(t003\): labels\.handling_modes: must list at least one acceptable value/m);
        assert.match(text, /^line 3 \(t003\): labels\.security: /m);
        assert.match(text, /^line 4 \(t001\): id: repeats the id of line 1/m);
        assert.match(text, /^line 5 \(t004\): ticket\.subject: required/m);
        assert.match(text, /^line 5 \(t004\): ticket\.customer_tier: /m);
        assert.match(error.message, /^bad\.jsonl: \d+ problem\(s\)/);
        return true;
      },
    );
  });

  test('an empty file is an error, not an empty report', () => {
    assert.throws(() => parseEvalSet('\n'), /no tickets/);
  });

  test('the shipped set loads (the same rules as eval/check.mjs for the fields eval reads)', async () => {
    const set = await loadEvalSet(DEFAULT_EVAL_FILE);
    assert.ok(set.tickets.length >= 200, `${set.tickets.length} tickets`);
    assert.match(set.sha256, /^[0-9a-f]{64}$/);
  });
});

function outcome(id: string, pass: boolean, split: 'main' | 'heldout' = 'main'): TicketOutcome {
  return {
    id,
    split,
    kind: 'howto',
    labels: { priorities: ['low'], handling_modes: ['reply_only'], internal_actions: ['None'], security: false },
    got: { priority: pass ? 'low' : 'high', handling_mode: 'reply_only', action: 'None', escalated: false },
    error: null,
    provider: 'rules',
    model: 'rules-v1',
    schema: 'valid',
    latency_ms: 1,
    tokens: { prompt: 0, completion: 0 },
  };
}

function report(outcomes: TicketOutcome[], sha = 'abc'): EvalReport {
  return buildReport(
    {
      file: 'x.jsonl',
      file_sha256: sha,
      provider: 'rules',
      providers: ['rules'],
      model: 'rules-v1',
      prompt_version: 'p1',
      split: 'all',
      concurrency: 1,
      created_at: '2026-12-03T00:00:00.000Z',
      duration_ms: 5,
    },
    outcomes,
  );
}

describe('compareReports', () => {
  // 100 tickets, a passes t00..t89 (90 %); b flips t00, t01, t02 to fail and t95 to pass (88 %): priority acceptable
  // drops 2 points — exactly the tolerance, so not a regression; a third flip more would be.
  const ids = Array.from({ length: 100 }, (_, i) => `t${String(i).padStart(2, '0')}`);
  const a = report(ids.map((id, i) => outcome(id, i < 90)));
  const b = report(ids.map((id, i) => outcome(id, (i >= 3 && i < 90) || i === 95)));

  test('deltas per split and metric; a drop of exactly the tolerance is not a regression', () => {
    const c = compareReports(a, b);
    const acceptable = c.deltas.find((d) => d.split === 'all' && d.metric === 'priority_acceptable')!;
    assert.equal(acceptable.a, 0.9);
    assert.equal(acceptable.b, 0.88);
    assert.ok(Math.abs(acceptable.delta! + 0.02) < 1e-12);
    assert.equal(acceptable.regression, false);
    assert.equal(DEFAULT_TOLERANCE, 0.02);
    assert.deepEqual(c.regressions, []);
    assert.deepEqual(
      c.passToFail.map((f) => f.id),
      ['t00', 't01', 't02'],
    );
    assert.deepEqual(c.passToFail[0]!.failed, ['priority']);
    assert.deepEqual(
      c.failToPass.map((f) => f.id),
      ['t95'],
    );
    assert.equal(c.sameSet, true);
  });

  test('beyond the tolerance it is a regression; an improvement never is; lower-is-better metrics go the other way', () => {
    const c = compareReports(a, b, 0.01);
    assert.deepEqual(
      c.regressions.map((d) => `${d.split}/${d.metric}`),
      ['all/priority_exact', 'all/priority_acceptable', 'main/priority_exact', 'main/priority_acceptable'],
    );
    assert.deepEqual(compareReports(b, a, 0.01).regressions, []);
    const critical = (p: boolean) => ({
      ...outcome('c', true),
      got: { ...outcome('c', true).got!, priority: p ? 'critical' : 'low' },
    });
    const worse = compareReports(report([critical(false)]), report([critical(true)]));
    assert.ok(worse.regressions.some((d) => d.metric === 'false_critical_rate' && d.split === 'all'));
  });

  test('different ticket files are noted; tickets in only one report are listed', () => {
    const c = compareReports(
      report([outcome('x', true), outcome('y', true)], 'one'),
      report([outcome('x', true), outcome('z', true)], 'two'),
    );
    assert.equal(c.sameSet, false);
    assert.deepEqual(c.onlyInA, ['y']);
    assert.deepEqual(c.onlyInB, ['z']);
  });

  test('a saved report is read back; anything else is refused naming the field', () => {
    const text = JSON.stringify(a);
    assert.equal(parseStoredReport(text, 'a.json').tickets.length, 100);
    assert.throws(
      () => parseStoredReport('{"version":1}', 'b.json'),
      /^Error: b\.json: not an eval report \(--json\): file_sha256: /,
    );
    assert.throws(() => parseStoredReport('nope', 'c.json'), /c\.json: not JSON/);
  });
});

describe('checkThresholds', () => {
  const r = report([outcome('1', true), outcome('2', false)]);

  test('names the split, metric, value and bound of each miss; empty splits are not measurable', () => {
    const thresholds = parseThresholds(
      JSON.stringify({
        provider: 'rules',
        splits: {
          all: { min: { priority_acceptable: 0.6, action: 1 }, max: { false_critical_rate: 0 } },
          heldout: { min: { priority_exact: 0.1 } },
        },
      }),
      'thresholds.json',
    );
    assert.deepEqual(checkThresholds(r, thresholds), [
      'all: priority_acceptable 0.5000 (1/2) is below the minimum 0.6',
      'heldout: priority_exact is not measurable (no tickets for it), min 0.1',
    ]);
  });

  test('a malformed thresholds file names the field', () => {
    assert.throws(
      () =>
        parseThresholds(JSON.stringify({ provider: 'rules', splits: { all: { min: { accuracy: 0.5 } } } }), 't.json'),
      /t\.json: splits\.all\.min/,
    );
  });
});
