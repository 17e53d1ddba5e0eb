import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storableText, storableValue } from '../../../src/domain/text.ts';

test('NUL and lone surrogates become U+FFFD; pairs, emoji and other text are kept', () => {
  assert.equal(storableText('a\u0000b'), 'a\ufffdb');
  assert.equal(storableText('x\ud83d'), 'x\ufffd');
  assert.equal(storableText('\ude00y'), '\ufffdy');
  assert.equal(storableText('ok 😀 \ud83d\ude00 ünïcödé'), 'ok 😀 😀 ünïcödé');
  assert.equal(storableText('\ud83d\ud83d\ude00'), '\ufffd😀');
  const clean = 'plain text';
  assert.equal(storableText(clean), clean);
});

test('every string inside a value is made storable, keys included; the result survives jsonb', () => {
  const value = { subject: 'a\u0000', list: ['\ud83d', 1, null, true], nested: { 'k\u0000': 'v' }, at: new Date(0) };
  const stored = storableValue(value);
  assert.deepEqual(stored, {
    subject: 'a\ufffd',
    list: ['\ufffd', 1, null, true],
    nested: { 'k\ufffd': 'v' },
    at: new Date(0),
  });
  assert.doesNotMatch(JSON.stringify(stored), /\\u0000|\\ud83d/);
});
