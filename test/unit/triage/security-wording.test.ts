// The security net's learned signals (src/triage/security/wording.ts): the committed models are exactly what training
// on the committed labelled set produces, they learn from `main` only; the security wording adds evidence without ever
// paging anyone, the incident wording only ever holds a page back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Priority } from '../../../src/domain/triage-output.ts';
import { DEFAULT_EVAL_FILE, type EvalTicket, loadEvalSet } from '../../../src/eval/dataset.ts';
import { trainWordingFromEvalSet, wordingExamples } from '../../../src/eval/wording-training.ts';
import { triageByRules } from '../../../src/triage/providers/rules.ts';
import { detectSecuritySignal, WORDING_KIND } from '../../../src/triage/security/index.ts';
import {
  scoreWording,
  trainWordingModel,
  type WordingTarget,
  wordingGrams,
  wordingModel,
} from '../../../src/triage/security/wording.ts';
import { makeTicket } from '../../fixtures/tickets.ts';

describe('security wording model', () => {
  for (const target of ['security', 'incident'] as WordingTarget[]) {
    test(`the committed ${target} model is what \`npm run train:wording\` makes of eval/tickets.jsonl`, async () => {
      const retrained = await trainWordingFromEvalSet(DEFAULT_EVAL_FILE, target);
      const committed = wordingModel(target);
      assert.deepEqual(
        { ...committed, weights: Object.keys(committed.weights).length },
        { ...retrained, weights: Object.keys(retrained.weights).length },
        `the committed ${target} model is stale: run \`npm run train:wording\``,
      );
      assert.deepEqual(committed.weights, retrained.weights, 'weights differ: run `npm run train:wording`');
      const set = await loadEvalSet(DEFAULT_EVAL_FILE);
      assert.equal(committed.training.tickets, wordingExamples(set.tickets, target).length);
    });
  }

  const ticket = (
    id: string,
    split: 'main' | 'heldout',
    security: boolean,
    priorities: Priority[] = ['high'],
  ): EvalTicket => ({
    id,
    split,
    kind: security ? 'security' : 'howto',
    ticket: {
      subject: 'note',
      body: security ? 'our token is on a public page' : 'how do I export findings?',
      customer_tier: null,
      product_area: null,
      customer_name: null,
      from_email: null,
    },
    labels: {
      priorities: security ? priorities : ['low'],
      handling_modes: ['reply_only'],
      internal_actions: ['None'],
      security,
    },
    note: 'fixture',
  });

  test('it learns from the main split only, so held-out tickets stay unseen', () => {
    const examples = wordingExamples([ticket('t1', 'main', false), ticket('h1', 'heldout', true)]);
    assert.equal(examples.length, 1);
    assert.equal(examples[0]!.positive, false);
  });

  test('the incident model learns critical-only reports against everything that cannot be critical', () => {
    const examples = wordingExamples(
      [
        ticket('t1', 'main', true, ['critical']),
        ticket('t2', 'main', true, ['high']),
        ticket('t3', 'main', true, ['high', 'critical']),
        ticket('t4', 'main', false),
        ticket('h1', 'heldout', true, ['critical']),
      ],
      'incident',
    );
    assert.deepEqual(
      examples.map((e) => e.positive),
      [true, false, false],
    );
  });

  test('training is deterministic and separates what it was shown', () => {
    const examples = [
      { clean: 'someone else is using our deleted key', positive: true },
      { clean: 'how do i change the scan schedule', positive: false },
      { clean: 'a stranger logged in with the key we deleted', positive: true },
      { clean: 'please resend the invoice', positive: false },
    ];
    const a = trainWordingModel('security', examples, 'fixture');
    const b = trainWordingModel('security', examples, 'fixture');
    assert.deepEqual(a, b);
    assert.ok(scoreWording(a, 'another stranger used the deleted key').probability > 0.5);
    assert.ok(scoreWording(a, 'how do i resend the invoice').probability < 0.5);
    assert.deepEqual(a.training, { ...a.training, tickets: 4, positives: 2, source: 'fixture' });
  });

  test('grams are the distinct character 4-grams with one space at each end', () => {
    assert.deepEqual(wordingGrams('ab  cd'), [' ab ', 'ab c', 'b cd', ' cd ']);
    assert.deepEqual(wordingGrams('aa aa aa'), [' aa ', 'aa a', 'a aa']);
  });
});

describe('security net: the wording signal', () => {
  // Fresh wording, not from eval/tickets.jsonl: no hand-written kind reaches the threshold here.
  const report =
    'Our intern says he can read the billing page of the parent company account from his login, is that normal?';

  test('escalates a report the hand-written kinds miss, names words of the ticket, and is no incident', () => {
    const result = detectSecuritySignal('question about the tool', report);
    const wording = result.signals.find((s) => s.kind === WORDING_KIND);
    assert.ok(wording, JSON.stringify(result.signals));
    assert.equal(wording.weight, 1);
    const words = /words: ([^)]*)\)/.exec(wording.reason)?.[1]?.split(', ') ?? [];
    assert.ok(words.length > 0, wording.reason);
    for (const word of words) assert.ok(report.toLowerCase().includes(word), `${word} is not in the ticket`);
    const others = result.signals.filter((s) => s.kind !== WORDING_KIND).reduce((sum, s) => sum + s.weight, 0);
    assert.ok(others < result.threshold, 'the hand-written kinds alone would already escalate');
    assert.equal(result.escalate, true);
    assert.equal(result.incident, false);
  });

  for (const [subject, body] of [
    ['schedule', 'How can I move the weekly scan from Monday to Friday evening?'],
    ['invoice', 'Please resend the October invoice with our new postal address.'],
    ['slow', 'The findings page takes forty seconds to load since the upgrade.'],
  ] as const) {
    test(`stays quiet on an everyday ticket: ${subject}`, () => {
      const result = detectSecuritySignal(subject, body);
      assert.equal(
        result.signals.some((s) => s.kind === WORDING_KIND),
        false,
      );
      assert.equal(result.escalate, false);
    });
  }
});

// rules-v18: a hand-written kind's incident reading pages only when the incident wording does not read a weakness.
describe('security net: the incident wording', () => {
  const weakness =
    'Hi,\n\nSmall observation from our QA engineer. If she edits the organisation id in the settings URL she correctly ' +
    'gets a 403 page, but for maybe half a second the header shows the name of the other organisation before the error ' +
    'appears. No findings, no users, nothing else is visible, only the name. We are not sure it matters, but we would ' +
    'prefer that the name does not flash at all. Could your team have a look when convenient?\n\nBest regards,\nJonas';

  test('holds back the page of a weakness a pattern reads as an incident: high, with the reason', () => {
    const result = detectSecuritySignal('Header flashes other org name', weakness);
    assert.equal(result.escalate, true);
    assert.equal(result.incidentEvidence, true, JSON.stringify(result.signals));
    assert.equal(result.incident, false, JSON.stringify(result.incidentWording));
    const triage = triageByRules(makeTicket({ subject: 'Header flashes other org name', body: weakness }));
    assert.equal(triage.priority, 'high');
    assert.equal(triage.recommended_internal_action, 'Escalate to security');
    assert.match(
      triage.internal_notes.join(' '),
      /wording reads like a weakness[^)]*p 0\.\d+ < 0\.15, mean 0\.\d+ < 0\.2; high, no page/,
    );
  });

  test('a short report keeps its page: its grams lean to an incident even where its probability is low', () => {
    const result = detectSecuritySignal('', "someone else's report was emailed to me");
    assert.equal(result.incidentEvidence, true, JSON.stringify(result.signals));
    assert.ok(result.incidentWording && result.incidentWording.probability < result.incidentWording.threshold);
    assert.equal(result.incident, true, JSON.stringify(result.incidentWording));
  });

  test('is only read where a pattern reads an incident', () => {
    assert.equal(detectSecuritySignal('x', 'I found an XSS vulnerability in the editor').incidentWording, undefined);
  });
});
