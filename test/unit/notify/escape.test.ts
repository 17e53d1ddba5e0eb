import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildDiscordMessage } from '../../../src/notify/embed.ts';
import { escapeInline, escapeMentions, escapeMultiline, fenceCode, truncate } from '../../../src/notify/escape.ts';
import type { DiscordWebhookPayload } from '../../../src/notify/types.ts';
import { computePings } from '../../fakes/discord.ts';
import { makeTicket, NOW } from '../../fixtures/tickets.ts';
import { makeFailure, makeSuccess } from '../../fixtures/triage.ts';
import { validateDiscordPayload } from '../../helpers/discord-validator.ts';

const MENTION = /@(everyone|here)|<@[!&]?\d+>|<#\d+>/i;

/** Every string in the payload except the content line, which is ours and checked separately. */
function embedStrings(payload: DiscordWebhookPayload): string[] {
  return payload.embeds.flatMap((e) => [
    e.title ?? '',
    e.description ?? '',
    e.footer?.text ?? '',
    ...(e.fields ?? []).flatMap((f) => [f.name, f.value]),
  ]);
}

test('mentions of every form are broken', () => {
  for (const text of ['@everyone', '@here', '@Everyone', '<@123>', '<@!123>', '<@&123>', '<#123>', '</cmd:123>']) {
    const escaped = escapeMentions(text);
    assert.notEqual(escaped, text);
    assert.doesNotMatch(escaped, MENTION);
    assert.doesNotMatch(escaped, /<\//);
  }
  assert.equal(escapeMentions('mail jane@example.com'), 'mail jane@example.com');
});

test('inline markdown is escaped and whitespace flattened', () => {
  assert.equal(
    escapeInline('**bold** _it_ ~~s~~ ||spoil|| `c` [x](http://e)'),
    String.raw`\*\*bold\*\* \_it\_ \~\~s\~\~ \|\|spoil\|\| \`c\` \[x\](http://e)`,
  );
  assert.equal(escapeInline('# heading\n> quote'), String.raw`\# heading \> quote`);
});

test('block markdown at line starts is escaped in multi-line text', () => {
  assert.equal(
    escapeMultiline('# Title\n- item\n1. one\n-# small'),
    ['\\# Title', '\\- item', '1\\. one', '\\-# small'].join('\n'),
  );
});

test('fenced text cannot contain three backticks in a row and respects its cap', () => {
  const fenced = fenceCode('```\n@here\n```', 60);
  assert.ok(fenced.startsWith('```\n') && fenced.endsWith('\n```'));
  assert.equal(fenced.match(/```/g)?.length, 2);
  assert.ok(fenceCode('x'.repeat(100), 60).length <= 60);
});

test('truncate never splits a surrogate pair', () => {
  const text = `${'a'.repeat(8)}😀😀😀`;
  for (let max = 1; max <= text.length; max += 1) {
    const cut = truncate(text, max);
    assert.ok(cut.length <= max);
    assert.doesNotMatch(cut, /[\ud800-\udbff](?![\udc00-\udfff])/);
  }
});

test('a ticket full of @everyone, role pings and fences pings nobody and renders as one intact embed', () => {
  const hostile =
    '@everyone @here <@&123> <@456> <@!789> <#42> ``` ```js\n@everyone ``` **bold** [click](https://evil)';
  const ticket = makeTicket({ subject: hostile, body: hostile, customer_name: hostile, customer_tier: '@here' });
  const result = makeSuccess(
    { warnings: [hostile] },
    {
      customer_summary: hostile,
      reply_draft: hostile,
      questions_for_customer: [hostile],
      internal_notes: [hostile],
    },
  );
  for (const payload of [
    buildDiscordMessage(ticket, result, { now: NOW, securityRoleId: null, debug: true }),
    buildDiscordMessage(ticket, makeFailure({ rawOutput: hostile, errorMessage: hostile }), {
      now: NOW,
      securityRoleId: null,
    }),
  ]) {
    assert.deepEqual(validateDiscordPayload(payload), []);
    assert.deepEqual(computePings(payload), { everyone: false, roles: [], users: [] });
    for (const text of embedStrings(payload)) assert.doesNotMatch(text, MENTION);
    // Backslash-escaped or broken fences only: the only ``` left are the Raw JSON / Raw Output fences we add.
    for (const field of payload.embeds[0]?.fields ?? []) {
      const fences = field.value.match(/(?<!\\)```/g)?.length ?? 0;
      assert.ok(fences === 0 || (fences === 2 && field.value.startsWith('```')), `${field.name}: ${field.value}`);
    }
  }
});

// Strings biased towards the dangerous: mentions, fences, markdown, surrogates, controls and huge lengths.
const fragment = fc.oneof(
  fc.constantFrom('@everyone', '@here', '<@&123>', '<@!1>', '<@5>', '<#7>', '```', '`', '\\', '@', '<', '&', '\n'),
  fc.constantFrom(
    '**',
    '__',
    '~~',
    '||',
    '> ',
    '# ',
    '-# ',
    '[a](http://x)',
    '\u200b',
    '\ud800',
    '\udc00',
    '😀',
    '\u0000',
  ),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const hostileString = fc.oneof(
  fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join('')),
  fc.array(fragment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('').repeat(300)),
  fc.string({ unit: 'binary', maxLength: 3000 }),
);

test('property: for any customer strings the payload is valid for Discord, within our caps, and pings only what we chose', () => {
  fc.assert(
    fc.property(
      fc.record({
        ticket_id: hostileString,
        subject: hostileString,
        customer_name: fc.option(hostileString),
        customer_tier: fc.option(hostileString),
        summary: hostileString,
        draft: fc.option(hostileString),
        questions: fc.array(hostileString, { maxLength: 6 }),
        notes: fc.array(hostileString, { maxLength: 6 }),
        warnings: fc.array(hostileString, { maxLength: 3 }),
        raw: fc.option(hostileString),
        errorMessage: hostileString,
        priority: fc.constantFrom('low', 'medium', 'high', 'critical' as const),
        security: fc.boolean(),
        failed: fc.boolean(),
        debug: fc.boolean(),
      }),
      (v) => {
        const ticket = makeTicket({
          ticket_id: v.ticket_id,
          subject: v.subject,
          customer_name: v.customer_name,
          customer_tier: v.customer_tier,
        });
        const result = v.failed
          ? makeFailure({ rawOutput: v.raw, errorMessage: v.errorMessage })
          : makeSuccess(
              { warnings: v.warnings, securityEscalation: v.security },
              {
                priority: v.priority,
                customer_summary: v.summary,
                reply_draft: v.draft,
                questions_for_customer: v.questions,
                internal_notes: v.notes,
              },
            );
        const payload = buildDiscordMessage(ticket, result, { now: NOW, securityRoleId: '1234', debug: v.debug });
        assert.deepEqual(validateDiscordPayload(payload), []);
        const embed = payload.embeds[0]!;
        assert.ok((embed.title ?? '').length <= 200);
        assert.ok((embed.description ?? '').length <= 300);
        for (const field of embed.fields ?? []) assert.ok(field.value.length <= 500, field.name);
        assert.ok((payload.content ?? '').length <= 100);
        for (const text of embedStrings(payload)) assert.doesNotMatch(text, MENTION);

        const pings = computePings(payload);
        const critical = !v.failed && v.priority === 'critical';
        assert.equal(pings.everyone, critical);
        assert.deepEqual(pings.roles, !v.failed && v.security ? ['1234'] : []);
        assert.deepEqual(pings.users, []);
      },
    ),
    { numRuns: 300 },
  );
});
