import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildDiscordMessage } from '../../../src/notify/embed.ts';
import type { DiscordEmbed, DiscordWebhookPayload } from '../../../src/notify/types.ts';
import { makeTicket, NOW } from '../../fixtures/tickets.ts';
import { makeFailure, makeSuccess } from '../../fixtures/triage.ts';
import { validateDiscordPayload } from '../../helpers/discord-validator.ts';

const ROLE = '987654321098765432';

function only(payload: DiscordWebhookPayload): DiscordEmbed {
  assert.equal(payload.embeds.length, 1);
  assert.deepEqual(validateDiscordPayload(payload), []);
  return payload.embeds[0]!;
}

function fieldMap(embed: DiscordEmbed): Map<string, string> {
  return new Map((embed.fields ?? []).map((f) => [f.name, f.value]));
}

test('a normal (high) ticket: title, colour, every field in order, footer, no content, no pings', () => {
  const payload = buildDiscordMessage(makeTicket(), makeSuccess(), { now: NOW, securityRoleId: ROLE });
  const embed = only(payload);
  assert.equal(embed.title, '[HIGH] Ticket #4711: Cannot export invoices');
  assert.equal(embed.description, 'Invoice export fails silently for an enterprise customer.');
  assert.equal(embed.url, 'https://app.hubspot.com/contacts/123/record/0-5/4711');
  assert.equal(embed.color, 0xff8800);
  assert.equal(embed.timestamp, '2026-11-25T12:00:00.000Z');
  assert.deepEqual(
    embed.fields?.map((f) => [f.name, f.value]),
    [
      ['Priority', 'High'],
      ['Confidence', '85%'],
      ['Handling Mode', 'Reply And Internal Followup'],
      ['Internal Action', 'Create bug report'],
      ['Asana Ticket Type', 'Bug'],
      ['Customer', 'Jane Doe (enterprise)'],
      ['Questions for Customer', '1. Which browser do you use?\n2. Does it fail for every invoice?'],
      ['Reply Draft', 'Hi Jane,\nthanks for reporting this. Could you tell us which browser you use?'],
      ['Internal Notes', '• Export endpoint returned 500 in logs\n• Possibly related to last deploy'],
    ],
  );
  assert.equal(embed.footer?.text, 'Triaged via local | model llama3.1:8b | prompt abc123 | 2026-11-25 12:00 UTC');
  assert.equal(payload.content, undefined);
  assert.deepEqual(payload.allowed_mentions, { parse: [] });
});

test('colours follow the priority', () => {
  const colours = (['low', 'medium', 'high', 'critical'] as const).map(
    (priority) =>
      only(buildDiscordMessage(makeTicket(), makeSuccess({}, { priority }), { now: NOW, securityRoleId: null })).color,
  );
  assert.deepEqual(colours, [0x00ff00, 0xffdd00, 0xff8800, 0xff0000]);
});

test('a critical ticket pings @here through content and allowed_mentions everyone, nothing else', () => {
  const payload = buildDiscordMessage(makeTicket(), makeSuccess({}, { priority: 'critical' }), {
    now: NOW,
    securityRoleId: ROLE,
  });
  const embed = only(payload);
  assert.equal(payload.content, '@here **CRITICAL TICKET** - Immediate attention required');
  assert.deepEqual(payload.allowed_mentions, { parse: ['everyone'] });
  assert.match(embed.title ?? '', /^🚨 CRITICAL \[CRITICAL\] Ticket #4711: Cannot export invoices$/);
  assert.equal(embed.color, 0xff0000);
  assert.equal(fieldMap(embed).get('Priority'), 'Critical');
});

test('a security escalation: shield in the title, content and role mention through an explicit role list', () => {
  const result = makeSuccess(
    { securityEscalation: true, warnings: ['Reply draft promises a timeline ("within 24 hours")'] },
    { recommended_internal_action: 'Escalate to security', asana_ticket_type_if_needed: 'Escalation' },
  );
  const payload = buildDiscordMessage(makeTicket(), result, { now: NOW, securityRoleId: ROLE });
  const embed = only(payload);
  assert.equal(embed.title, '🛡️ [HIGH] Ticket #4711: Cannot export invoices');
  assert.ok(payload.content?.includes('SECURITY ESCALATION RECOMMENDED'));
  assert.ok(payload.content?.includes(`<@&${ROLE}>`));
  assert.deepEqual(payload.allowed_mentions, { parse: [], roles: [ROLE] });
  const fields = fieldMap(embed);
  assert.equal(fields.get('Internal Action'), 'Escalate to security');
  assert.equal(fields.get('Warnings'), '⚠️ Reply draft promises a timeline ("within 24 hours")');
  assert.equal(embed.fields?.at(-1)?.name, 'Warnings');
});

test('a security escalation shows why (the guard reasons), escaped, before the warnings', () => {
  const result = makeSuccess(
    {
      securityEscalation: true,
      securityReasons: ['signals scored 1.1 (threshold 1): a removed user, key or session still works', '@everyone'],
      warnings: ['Reply draft promises a timeline ("within 24 hours")'],
    },
    { recommended_internal_action: 'Escalate to security', asana_ticket_type_if_needed: 'Escalation' },
  );
  const embed = only(buildDiscordMessage(makeTicket(), result, { now: NOW, securityRoleId: null }));
  const why = fieldMap(embed).get('Why Security') ?? '';
  assert.match(why, /^• signals scored 1\.1 \(threshold 1\): a removed user, key or session still works\n• /);
  assert.ok(!why.includes('@everyone'), 'customer-influenced text cannot ping');
  assert.deepEqual(
    embed.fields?.slice(-2).map((f) => f.name),
    ['Why Security', 'Warnings'],
  );
});

test('no Why Security field without an escalation', () => {
  const embed = only(
    buildDiscordMessage(makeTicket(), makeSuccess({ securityReasons: ['stale'] }), { now: NOW, securityRoleId: null }),
  );
  assert.equal(fieldMap(embed).has('Why Security'), false);
});

test('a security escalation without a (valid) role id mentions no role', () => {
  for (const securityRoleId of [null, 'not-a-snowflake', '']) {
    const payload = buildDiscordMessage(makeTicket(), makeSuccess({ securityEscalation: true }), {
      now: NOW,
      securityRoleId,
    });
    only(payload);
    assert.ok(payload.content?.includes('SECURITY ESCALATION RECOMMENDED'));
    assert.ok(!payload.content?.includes('<@&'));
    assert.deepEqual(payload.allowed_mentions, { parse: [] });
  }
});

test('critical and security together: @here plus the role, within the 100-character content cap', () => {
  const result = makeSuccess({ securityEscalation: true }, { priority: 'critical' });
  const withRole = buildDiscordMessage(makeTicket(), result, { now: NOW, securityRoleId: ROLE });
  only(withRole);
  assert.deepEqual(withRole.allowed_mentions, { parse: ['everyone'], roles: [ROLE] });
  assert.ok(withRole.content?.startsWith('@here **CRITICAL TICKET**'));
  assert.ok(withRole.content?.includes(`SECURITY ESCALATION RECOMMENDED <@&${ROLE}>`));
  assert.ok((withRole.content?.length ?? 0) <= 100);
  assert.match(withRole.embeds[0]?.title ?? '', /^🚨 CRITICAL 🛡️ \[CRITICAL\]/);

  const noRole = buildDiscordMessage(makeTicket(), result, { now: NOW, securityRoleId: null });
  assert.equal(
    noRole.content,
    '@here **CRITICAL TICKET** - Immediate attention required\n🛡️ SECURITY ESCALATION RECOMMENDED',
  );
  assert.deepEqual(noRole.allowed_mentions, { parse: ['everyone'] });
});

test('footer names the fallback, model, prompt version and repair', () => {
  const result = makeSuccess({
    provider: 'groq',
    model: 'openai/gpt-oss-120b',
    repaired: true,
    fallbackReasons: [{ provider: 'local', reason: 'timeout' }],
  });
  const embed = only(buildDiscordMessage(makeTicket(), result, { now: NOW, securityRoleId: null }));
  assert.equal(
    embed.footer?.text,
    'Triaged via groq (after local timeout) | model openai/gpt-oss-120b | prompt abc123 | repaired | 2026-11-25 12:00 UTC',
  );
});

test('empty and missing values get sensible fallbacks', () => {
  const ticket = makeTicket({ customer_name: null, customer_tier: null, hubspot_ticket_url: null });
  const result = makeSuccess(
    {},
    {
      customer_summary: '   ',
      reply_needed: false,
      reply_draft: null,
      questions_for_customer: [],
      internal_notes: ['  '],
      confidence: 0.004,
      handling_mode: 'no_action',
    },
  );
  const embed = only(buildDiscordMessage(ticket, result, { now: NOW, securityRoleId: null }));
  assert.equal(embed.description, 'No summary available');
  assert.equal('url' in embed, false);
  const fields = fieldMap(embed);
  assert.equal(fields.get('Customer'), 'Unknown');
  assert.equal(fields.get('Questions for Customer'), 'None');
  assert.equal(fields.get('Reply Draft'), 'No reply needed');
  assert.equal(fields.get('Internal Notes'), 'None');
  assert.equal(fields.get('Confidence'), '0%');
  assert.equal(fields.get('Handling Mode'), 'No Action');
  assert.equal(fields.has('Warnings'), false);

  const tierOnly = only(
    buildDiscordMessage(makeTicket({ customer_name: null }), makeSuccess(), { now: NOW, securityRoleId: null }),
  );
  assert.equal(fieldMap(tierOnly).get('Customer'), 'Unknown (enterprise)');
});

test('a malformed HubSpot link is left out rather than making Discord reject the message', () => {
  const embed = only(
    buildDiscordMessage(makeTicket({ hubspot_ticket_url: 'javascript:alert(1)' }), makeSuccess(), {
      now: NOW,
      securityRoleId: null,
    }),
  );
  assert.equal(embed.url, undefined);
});

test('raw JSON appears only in debug mode, fenced', () => {
  const plain = only(buildDiscordMessage(makeTicket(), makeSuccess(), { now: NOW, securityRoleId: null }));
  assert.equal(fieldMap(plain).has('Raw JSON'), false);
  const debug = only(buildDiscordMessage(makeTicket(), makeSuccess(), { now: NOW, securityRoleId: null, debug: true }));
  const raw = fieldMap(debug).get('Raw JSON') ?? '';
  assert.ok(raw.startsWith('```json\n{"priority":"high"'));
  assert.ok(raw.endsWith('\n```'));
  assert.ok(raw.length <= 500);
});

test('a long reply draft is cut to the field cap with a pointer to HubSpot', () => {
  const draft = 'word '.repeat(300);
  const embed = only(
    buildDiscordMessage(makeTicket(), makeSuccess({}, { reply_draft: draft }), { now: NOW, securityRoleId: null }),
  );
  const value = fieldMap(embed).get('Reply Draft') ?? '';
  assert.equal(value.length, 500);
  assert.ok(value.endsWith('… (truncated - full ticket in HubSpot)'));
});

test('a failure: grey, manual-review content, error fields, fenced raw output, request id footer', () => {
  const payload = buildDiscordMessage(makeTicket(), makeFailure(), { now: NOW, securityRoleId: ROLE });
  const embed = only(payload);
  assert.equal(payload.content, '**TRIAGE FAILED** - Manual review required');
  assert.deepEqual(payload.allowed_mentions, { parse: [] });
  assert.equal(embed.color, 0x808080);
  assert.equal(embed.title, '[TRIAGE FAILED] Ticket #4711: Cannot export invoices');
  assert.equal(embed.url, 'https://app.hubspot.com/contacts/123/record/0-5/4711');
  assert.deepEqual(
    embed.fields?.map((f) => [f.name, f.value]),
    [
      ['Error Type', 'invalid_output'],
      ['Provider', 'groq (after local timeout)'],
      ['Error Details', 'Output failed validation after repair: priority: invalid enum value'],
      ['Raw Output', '```\n{"priority": "urgent", "summary": "x"}\n```'],
    ],
  );
  assert.equal(embed.footer?.text, 'Request ID: req-1');
});

test('a failure without output names the last attempted provider and shows no raw output', () => {
  const failure = makeFailure({
    errorClass: 'rate_limited',
    errorMessage: 'all providers failed',
    lastProvider: null,
    rawOutput: null,
    fallbackReasons: [
      { provider: 'local', reason: 'connection' },
      { provider: 'groq', reason: 'rate_limited' },
    ],
  });
  const fields = fieldMap(only(buildDiscordMessage(makeTicket(), failure, { now: NOW, securityRoleId: null })));
  assert.equal(fields.get('Provider'), 'groq (after local connection error)');
  assert.equal(fields.get('Raw Output'), 'None');
  assert.equal(fields.get('Error Type'), 'rate_limited');
});

test('failure raw output keeps only the first 500 characters and cannot close its fence', () => {
  const raw = `${'```'}@everyone${'x'.repeat(1000)}`;
  const embed = only(
    buildDiscordMessage(makeTicket(), makeFailure({ rawOutput: raw }), { now: NOW, securityRoleId: null }),
  );
  const value = fieldMap(embed).get('Raw Output') ?? '';
  assert.ok(value.length <= 500);
  assert.ok(value.startsWith('```\n'));
  assert.ok(value.endsWith('…\n```'));
  // Exactly one opening and one closing fence: the customer's backticks were broken up.
  assert.equal(value.match(/```/g)?.length, 2);
  assert.ok(!value.includes('@everyone'));
});
