// The validator stands in for Discord in the other tests, so it must itself reject what Discord rejects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateDiscordPayload } from '../../helpers/discord-validator.ts';

const valid = {
  content: 'hello',
  embeds: [
    {
      title: 't',
      description: 'd',
      url: 'https://example.com/x',
      color: 0xffffff,
      fields: [{ name: 'n', value: 'v', inline: true }],
      footer: { text: 'f' },
      author: { name: 'a' },
      timestamp: '2026-11-25T12:00:00.000Z',
    },
  ],
  allowed_mentions: { parse: ['everyone'], roles: ['123'] },
};

function withEmbed(patch: Record<string, unknown>) {
  return { ...valid, embeds: [{ ...valid.embeds[0], ...patch }] };
}

function expectProblem(payload: unknown, pattern: RegExp): void {
  const problems = validateDiscordPayload(payload);
  assert.ok(
    problems.some((p) => pattern.test(p)),
    `expected ${pattern}, got ${JSON.stringify(problems)}`,
  );
}

test('a payload within every limit is valid', () => {
  assert.deepEqual(validateDiscordPayload(valid), []);
});

test('length limits at the boundary: the limit passes, one more fails', () => {
  const cases: Array<[string, (n: number) => unknown, number]> = [
    ['content', (n) => ({ ...valid, content: 'x'.repeat(n) }), 2000],
    ['embeds[0].title', (n) => withEmbed({ title: 'x'.repeat(n) }), 256],
    ['embeds[0].description', (n) => withEmbed({ description: 'x'.repeat(n) }), 4096],
    ['embeds[0].fields[0].name', (n) => withEmbed({ fields: [{ name: 'x'.repeat(n), value: 'v' }] }), 256],
    ['embeds[0].fields[0].value', (n) => withEmbed({ fields: [{ name: 'n', value: 'x'.repeat(n) }] }), 1024],
    ['embeds[0].footer.text', (n) => withEmbed({ footer: { text: 'x'.repeat(n) } }), 2048],
    ['embeds[0].author.name', (n) => withEmbed({ author: { name: 'x'.repeat(n) } }), 256],
  ];
  for (const [path, make, limit] of cases) {
    assert.deepEqual(validateDiscordPayload(make(limit)), [], path);
    expectProblem(make(limit + 1), new RegExp(`^${path.replace(/[[\].]/g, '\\$&')}:`));
  }
});

test('lengths count code points, as Discord does', () => {
  assert.deepEqual(validateDiscordPayload(withEmbed({ title: '😀'.repeat(256) })), []);
});

test('counts: at most 10 embeds, 25 fields, 6000 characters across embeds', () => {
  expectProblem({ ...valid, embeds: Array.from({ length: 11 }, () => ({ title: 't' })) }, /^embeds: must be 10/);
  const fields = Array.from({ length: 26 }, () => ({ name: 'n', value: 'v' }));
  expectProblem(withEmbed({ fields }), /fields: must be 25/);
  const big = { description: 'x'.repeat(4000) };
  expectProblem({ ...valid, embeds: [big, big] }, /total size exceeds 6000/);
});

test('types: colour range, ISO timestamp, URL scheme, empty field values, lone surrogates', () => {
  expectProblem(withEmbed({ color: 0x1000000 }), /color/);
  expectProblem(withEmbed({ color: 1.5 }), /color/);
  expectProblem(withEmbed({ color: -1 }), /color/);
  expectProblem(withEmbed({ timestamp: 'yesterday' }), /timestamp/);
  expectProblem(withEmbed({ url: 'javascript:alert(1)' }), /url: scheme/);
  expectProblem(withEmbed({ fields: [{ name: 'n', value: '' }] }), /value: required|value: must not be empty/);
  expectProblem(withEmbed({ fields: [{ name: ' ', value: 'v' }] }), /name: must not be empty/);
  expectProblem(withEmbed({ fields: [{ name: 'n', value: '\u200b' }] }), /value: must not be empty/);
  expectProblem(withEmbed({ fields: [{ name: 'n', value: 'v', inline: 'yes' }] }), /inline/);
  expectProblem(withEmbed({ title: 'a\ud800b' }), /lone surrogate/);
  expectProblem({ embeds: [], allowed_mentions: { parse: [] } }, /empty message/);
});

test('allowed_mentions: known parse values only, and never parse roles together with a role list', () => {
  expectProblem({ ...valid, allowed_mentions: { parse: ['roles'], roles: ['1'] } }, /mutually exclusive/);
  expectProblem({ ...valid, allowed_mentions: { parse: ['users'], users: ['1'] } }, /mutually exclusive/);
  expectProblem({ ...valid, allowed_mentions: { parse: ['here'] } }, /unknown mention type/);
  expectProblem({ ...valid, allowed_mentions: { parse: [], roles: ['abc'] } }, /invalid snowflake/);
  assert.deepEqual(validateDiscordPayload({ ...valid, allowed_mentions: { parse: ['roles'] } }), []);
});
