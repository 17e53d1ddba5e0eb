import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildDiscordMessage } from '../../../src/notify/embed.ts';
import { embedLength } from '../../../src/notify/limits.ts';
import type { DiscordEmbed } from '../../../src/notify/types.ts';
import { makeTicket, NOW } from '../../fixtures/tickets.ts';
import { makeSuccess } from '../../fixtures/triage.ts';
import { validateDiscordPayload } from '../../helpers/discord-validator.ts';

// With our per-part caps (title 200, description 300, values 500) a real embed stays under the 5000 total, so
// these tests lower the total cap to make the shortening order observable.
const long = (label: string) => `${label} `.repeat(200).trim();
const oversize = makeSuccess(
  {},
  {
    customer_summary: long('summary').slice(0, 300),
    reply_draft: long('draft'),
    internal_notes: [long('note')],
    questions_for_customer: ['Which browser do you use?'],
  },
);

function build(total: number): DiscordEmbed {
  const payload = buildDiscordMessage(makeTicket(), oversize, { now: NOW, securityRoleId: null, limits: { total } });
  assert.deepEqual(validateDiscordPayload(payload), []);
  const embed = payload.embeds[0]!;
  assert.ok(embedLength(embed) <= total, `embed is ${embedLength(embed)} characters, cap ${total}`);
  return embed;
}

function parts(embed: DiscordEmbed) {
  const field = (name: string) => embed.fields?.find((f) => f.name === name)?.value ?? '';
  return { notes: field('Internal Notes'), draft: field('Reply Draft'), summary: embed.description ?? '' };
}

test('uncapped, each part is only cut to its own field cap', () => {
  const p = parts(build(5000));
  assert.equal(p.notes.length, 500);
  assert.equal(p.draft.length, 500);
  assert.equal(p.summary.length, 300);
  assert.ok(!p.summary.endsWith('…'));
});

test('a small overflow is taken from the internal notes alone', () => {
  const full = embedLength(build(5000));
  const p = parts(build(full - 100));
  assert.equal(p.notes.length, 400);
  assert.ok(p.notes.endsWith('…'));
  assert.equal(p.draft.length, 500);
  assert.equal(p.summary.length, 300);
});

test('a larger overflow then cuts the reply draft, with its HubSpot pointer, before the summary', () => {
  const full = embedLength(build(5000));
  const p = parts(build(full - 600));
  assert.ok(p.notes.length < 200 && p.notes.endsWith('…'));
  assert.ok(p.draft.length < 500 && p.draft.endsWith('… (truncated - full ticket in HubSpot)'));
  assert.equal(p.summary.length, 300);
  assert.ok(!p.summary.endsWith('…'));
});

test('only when notes and draft are down to their floor is the summary cut', () => {
  const full = embedLength(build(5000));
  const p = parts(build(full - 950));
  assert.ok(p.notes.length <= 120);
  assert.ok(p.draft.length <= 120);
  assert.ok(p.summary.length < 300 && p.summary.endsWith('…'));
});

test('with an absurdly small cap every part still ends non-empty and valid', () => {
  const embed = build(400);
  for (const field of embed.fields ?? []) assert.ok(field.value.length > 0);
});

test('in debug mode the raw JSON gives way first and keeps its closing fence', () => {
  const payload = buildDiscordMessage(makeTicket(), oversize, {
    now: NOW,
    securityRoleId: null,
    debug: true,
    limits: { total: embedLength(build(5000)) + 300 },
  });
  assert.deepEqual(validateDiscordPayload(payload), []);
  const embed = payload.embeds[0]!;
  const raw = embed.fields?.find((f) => f.name === 'Raw JSON')?.value ?? '';
  assert.ok(raw.startsWith('```json\n') && raw.endsWith('…\n```'), raw);
  const p = parts(embed);
  assert.equal(p.notes.length, 500);
  assert.equal(p.draft.length, 500);
});
