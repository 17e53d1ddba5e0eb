import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTriageOutput } from '../../../src/triage/parse.ts';
import { validOutput } from '../../fixtures/triage.ts';

const good = validOutput();
const goodJson = JSON.stringify(good);

function expectOk(raw: string) {
  const result = parseTriageOutput(raw);
  if (!result.ok) assert.fail(`expected ok, got errors: ${result.errors.join(' | ')}`);
  return result;
}

function expectErrors(raw: string) {
  const result = parseTriageOutput(raw);
  if (result.ok) assert.fail('expected a validation failure');
  assert.equal(result.raw, raw);
  return result.errors;
}

describe('parseTriageOutput: finding the JSON', () => {
  const cases: [string, string][] = [
    ['raw JSON', goodJson],
    ['pretty-printed JSON with surrounding whitespace', `\n\n${JSON.stringify(good, null, 2)}\n`],
    ['a ```json fence', `\`\`\`json\n${goodJson}\n\`\`\``],
    [
      'a bare ``` fence after prose',
      `Here is the triage:\n\`\`\`\n${JSON.stringify(good, null, 2)}\n\`\`\`\nLet me know.`,
    ],
    ['JSON surrounded by prose', `Sure! Based on the ticket, ${goodJson} — hope that helps.`],
    ['a JSON string containing the JSON (one level)', JSON.stringify(goodJson)],
    [
      'the first balanced object that validates when several are present',
      `Example format: {"priority": "one of low|medium"} Final answer: ${goodJson} and a trailing {"note": 1}`,
    ],
    [
      'braces inside strings do not break the scan',
      `prose ${JSON.stringify({ ...good, customer_summary: 'uses {x} and }' })}`,
    ],
  ];
  for (const [name, raw] of cases) {
    test(name, () => {
      const { output } = expectOk(raw);
      assert.equal(output.priority, good.priority);
      assert.equal(output.handling_mode, good.handling_mode);
    });
  }

  test('no JSON at all gives a root error', () => {
    assert.deepEqual(expectErrors('I cannot help with that.'), ['(root): no JSON object found in the output']);
  });

  test('a JSON array is not accepted', () => {
    assert.deepEqual(expectErrors('[1,2,3]'), ['(root): no JSON object found in the output']);
  });

  test('two levels of JSON-in-a-string are not unwrapped', () => {
    expectErrors(JSON.stringify(JSON.stringify(goodJson)));
  });
});

describe('parseTriageOutput: normalisation', () => {
  test('unknown keys are dropped', () => {
    const { output } = expectOk(JSON.stringify({ ...good, reasoning: 'because', extra: { a: 1 } }));
    assert.deepEqual(Object.keys(output).sort(), Object.keys(good).sort());
  });

  const enumCases: [string, Record<string, unknown>, Record<string, string>][] = [
    ['capitalised priority', { priority: 'High' }, { priority: 'high' }],
    ['upper-case priority with spaces', { priority: '  CRITICAL ' }, { priority: 'critical' }],
    ['handling mode with a space', { handling_mode: 'reply only' }, { handling_mode: 'reply_only' }],
    ['handling mode with hyphens', { handling_mode: 'request-more-info' }, { handling_mode: 'request_more_info' }],
    [
      'action in snake_case',
      { recommended_internal_action: 'escalate_to_security' },
      { recommended_internal_action: 'Escalate to security' },
    ],
    [
      'asana type lower-case',
      { asana_ticket_type_if_needed: 'escalation' },
      { asana_ticket_type_if_needed: 'Escalation' },
    ],
  ];
  for (const [name, patch, expected] of enumCases) {
    test(`enum mapping: ${name}`, () => {
      const { output } = expectOk(JSON.stringify({ ...good, ...patch }));
      for (const [k, v] of Object.entries(expected)) assert.equal(output[k as keyof typeof output], v);
    });
  }

  test('an enum value that is not a spelling variant is an error naming the field', () => {
    const errors = expectErrors(JSON.stringify({ ...good, priority: 'urgent' }));
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^priority: /);
  });

  test('several invalid fields give one field-path message each', () => {
    const { confidence: _c, ...withoutConfidence } = good;
    const errors = expectErrors(
      JSON.stringify({ ...withoutConfidence, handling_mode: 'call them', reply_needed: 'maybe' }),
    );
    const fields = errors.map((e) => e.split(':')[0]).sort();
    assert.deepEqual(fields, ['confidence', 'handling_mode', 'reply_needed']);
  });

  test('a summary over 300 characters is truncated and noted, not rejected', () => {
    const result = expectOk(JSON.stringify({ ...good, customer_summary: 'x'.repeat(450) }));
    assert.equal(result.output.customer_summary.length, 300);
    assert.ok(result.output.customer_summary.endsWith('…'));
    assert.deepEqual(
      result.interventions.map((i) => i.kind),
      ['summary_truncated'],
    );
    assert.match(result.interventions[0]!.detail, /450/);
  });

  test('reply_needed false forces reply_draft to null', () => {
    const { output } = expectOk(JSON.stringify({ ...good, reply_needed: false, reply_draft: 'Hello there' }));
    assert.equal(output.reply_draft, null);
  });

  for (const draft of [null, '', '   ']) {
    test(`reply_needed true with draft ${JSON.stringify(draft)}: kept as needed, draft null, noted`, () => {
      const result = expectOk(JSON.stringify({ ...good, reply_needed: true, reply_draft: draft }));
      assert.equal(result.output.reply_needed, true);
      assert.equal(result.output.reply_draft, null);
      assert.deepEqual(
        result.interventions.map((i) => i.kind),
        ['reply_draft_missing'],
      );
    });
  }

  const confidenceCases: [unknown, number][] = [
    [0.7, 0.7],
    [1, 1],
    [0, 0],
    [85, 0.85],
    [100, 1],
    ['0.6', 0.6],
    ['72%', 0.72],
  ];
  for (const [input, expected] of confidenceCases) {
    test(`confidence ${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(expectOk(JSON.stringify({ ...good, confidence: input })).output.confidence, expected);
    });
  }

  for (const bad of [150, -0.2, 'high']) {
    test(`confidence ${JSON.stringify(bad)} is an error`, () => {
      assert.match(expectErrors(JSON.stringify({ ...good, confidence: bad }))[0]!, /^confidence: /);
    });
  }

  test('reply_needed as a "true"/"false" string is accepted', () => {
    assert.equal(expectOk(JSON.stringify({ ...good, reply_needed: 'false' })).output.reply_needed, false);
  });

  test('missing arrays are an error (the contract says they must be present)', () => {
    const { questions_for_customer: _q, ...rest } = good;
    assert.match(expectErrors(JSON.stringify(rest))[0]!, /^questions_for_customer: /);
  });

  test('the first object-shaped candidate supplies the errors when none validates', () => {
    const errors = expectErrors(`{"priority":"urgent"} and then {"foo": 1}`);
    assert.ok(errors.some((e) => e.startsWith('priority: ')));
  });
});
