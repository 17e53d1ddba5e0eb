// The security net's learned signal (src/triage/security/wording.ts): the committed model is exactly what training on
// the committed labelled set produces, it learns from `main` only, and it adds evidence without ever paging anyone.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_EVAL_FILE, type EvalTicket, loadEvalSet } from '../../../src/eval/dataset.ts';
import { trainWordingFromEvalSet, wordingExamples } from '../../../src/eval/wording-training.ts';
import { detectSecuritySignal, WORDING_KIND } from '../../../src/triage/security/index.ts';
import { scoreWording, trainWordingModel, wordingGrams, wordingModel } from '../../../src/triage/security/wording.ts';

describe('security wording model', () => {
  test('the committed model is what `npm run train:wording` makes of eval/tickets.jsonl', async () => {
    const retrained = await trainWordingFromEvalSet(DEFAULT_EVAL_FILE);
    const committed = wordingModel();
    assert.deepEqual(
      { ...committed, weights: Object.keys(committed.weights).length },
      { ...retrained, weights: Object.keys(retrained.weights).length },
      'src/triage/security/wording-model.json is stale: run `npm run train:wording`',
    );
    assert.deepEqual(committed.weights, retrained.weights, 'weights differ: run `npm run train:wording`');
    const set = await loadEvalSet(DEFAULT_EVAL_FILE);
    assert.equal(committed.training.tickets, set.tickets.filter((t) => t.split === 'main').length);
  });

  test('it learns from the main split only, so held-out tickets stay unseen', () => {
    const ticket = (id: string, split: 'main' | 'heldout', security: boolean): EvalTicket => ({
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
        priorities: security ? ['high'] : ['low'],
        handling_modes: ['reply_only'],
        internal_actions: ['None'],
        security,
      },
      note: 'fixture',
    });
    const examples = wordingExamples([ticket('t1', 'main', false), ticket('h1', 'heldout', true)]);
    assert.equal(examples.length, 1);
    assert.equal(examples[0]!.security, false);
  });

  test('training is deterministic and separates what it was shown', () => {
    const examples = [
      { clean: 'someone else is using our deleted key', security: true },
      { clean: 'how do i change the scan schedule', security: false },
      { clean: 'a stranger logged in with the key we deleted', security: true },
      { clean: 'please resend the invoice', security: false },
    ];
    const a = trainWordingModel(examples, 'fixture');
    const b = trainWordingModel(examples, 'fixture');
    assert.deepEqual(a, b);
    assert.ok(scoreWording(a, 'another stranger used the deleted key').probability > 0.5);
    assert.ok(scoreWording(a, 'how do i resend the invoice').probability < 0.5);
    assert.deepEqual(a.training, { ...a.training, tickets: 4, security: 2, source: 'fixture' });
  });

  test('grams are the distinct character 4-grams with one space at each end', () => {
    assert.deepEqual(wordingGrams('ab  cd'), [' ab ', 'ab c', 'b cd', ' cd ']);
    assert.deepEqual(wordingGrams('aa aa aa'), [' aa ', 'aa a', 'a aa']);
  });
});

describe('security net: the wording signal', () => {
  // Fresh wording, not from eval/tickets.jsonl: no hand-written kind reaches the threshold here.
  const report = 'Somebody on our side noticed that the key we deleted last month is still being accepted by the API.';

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
