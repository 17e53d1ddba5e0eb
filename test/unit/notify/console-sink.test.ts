import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createConsoleSink } from '../../../src/notify/console-sink.ts';
import { buildDiscordMessage } from '../../../src/notify/embed.ts';
import type { Notifier } from '../../../src/notify/types.ts';
import { makeTicket, NOW } from '../../fixtures/tickets.ts';
import { makeSuccess } from '../../fixtures/triage.ts';

test('the console sink prints title, content and fields and returns a synthetic id', async () => {
  const written: string[] = [];
  const sink: Notifier = createConsoleSink({ write: (text) => written.push(text) });
  const payload = buildDiscordMessage(
    makeTicket({ subject: 'Ping @everyone' }),
    makeSuccess({}, { priority: 'critical' }),
    { now: NOW, securityRoleId: null },
  );
  const first = await sink.send(payload, { critical: true });
  const second = await sink.send(payload, { critical: false });

  assert.equal(written.length, 2);
  const text = written[0] ?? '';
  assert.match(text, /critical channel/);
  assert.ok(text.includes('@here **CRITICAL TICKET** - Immediate attention required'));
  assert.ok(text.includes('[CRITICAL] Ticket #4711: Ping @everyone'), 'zero-width spaces are removed for the terminal');
  assert.ok(text.includes('Confidence:\n  85%'));
  assert.ok(
    text.includes('Questions for Customer:\n  1. Which browser do you use?\n  2. Does it fail for every invoice?'),
  );
  assert.ok(text.includes('-- Triaged via local'));
  assert.match(first.messageId ?? '', /^console-[0-9a-f-]{36}$/);
  assert.notEqual(first.messageId, second.messageId);
  assert.deepEqual([first.channel, second.channel, first.attempts], ['critical', 'default', 1]);
});

test('the console sink prints customer text as written, without the escaping Discord needs', async () => {
  const written: string[] = [];
  const sink = createConsoleSink({ write: (text) => written.push(text) });
  const payload = buildDiscordMessage(
    makeTicket({ subject: 'Set HUBSPOT_ACCESS_TOKEN *now* <@123>' }),
    makeSuccess({}, { priority: 'low' }),
    { now: NOW, securityRoleId: null },
  );
  assert.ok(JSON.stringify(payload).includes('HUBSPOT\\\\_ACCESS\\\\_TOKEN'), 'Discord gets the escaped text');
  await sink.send(payload, { critical: false });
  assert.ok(written[0]?.includes('Set HUBSPOT_ACCESS_TOKEN *now* <@123>'), written[0]);
});
