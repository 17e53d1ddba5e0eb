// The cost guard that decides obvious noise without an LLM: what it catches, and what it must leave to the chain.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { triageOutputSchema } from '../../../src/domain/triage-output.ts';
import { detectShortCircuit, shortCircuitOutput } from '../../../src/triage/short-circuit.ts';
import { makeTicket } from '../../fixtures/tickets.ts';

test('out-of-office replies, bounces and spam are recognised', () => {
  const cases = [
    [{ subject: 'Automatic reply: Your ticket #4711', body: 'Thanks for your message.' }, 'auto_reply'],
    [{ subject: 'Out of Office: Re: invoice', body: 'I am away.' }, 'auto_reply'],
    [
      {
        subject: 'Re: your request',
        body: "I'm currently out of the office until Monday 3 March with limited access to email.",
      },
      'auto_reply',
    ],
    [{ subject: 'Undeliverable: Welcome to Acme', body: 'Delivery has failed to these recipients.' }, 'bounce'],
    [{ subject: 'Returned mail: see transcript for details', body: '...' }, 'bounce'],
    [
      { subject: 'Hello', body: 'Message could not be delivered.', from_email: 'MAILER-DAEMON@mx.example.com' },
      'bounce',
    ],
    [
      {
        subject: 'Grow your business',
        body: 'Our SEO services get you backlinks and you rank on the first page of Google. Limited time offer!',
      },
      'spam',
    ],
  ] as const;
  for (const [fields, kind] of cases) {
    assert.equal(detectShortCircuit(makeTicket(fields))?.kind, kind, fields.subject);
  }
});

test('real requests are left to the chain, even when they mention a holiday or one spam-like phrase', () => {
  const cases = [
    {},
    { subject: 'Export broken', body: "I'll be on vacation until Friday, but the CSV export is broken for my team." },
    { subject: 'Do you accept guest posts on your blog?', body: 'We would like to contribute an article.' },
    {
      subject: 'Re: your request',
      body: `I am out of the office until Monday. ${'The import keeps failing with error 500 on every file. '.repeat(20)}`,
    },
  ];
  for (const fields of cases) assert.equal(detectShortCircuit(makeTicket(fields)), null, JSON.stringify(fields));
});

test('a security signal always wins: a security-looking auto-reply or bounce is never short-circuited', () => {
  const cases = [
    { subject: 'Automatic reply: vulnerability report', body: 'I am out of the office until Monday.' },
    { subject: 'Out of Office: Re: security', body: 'Our account was compromised, please call me back.' },
    { subject: 'Undeliverable: password reset', body: 'Our API keys were leaked on GitHub.' },
  ];
  for (const fields of cases) assert.equal(detectShortCircuit(makeTicket(fields)), null, fields.subject);
});

test('the output is schema-valid, no action, no reply, and says it was decided without an LLM', () => {
  const ticket = makeTicket({ subject: 'Automatic reply: Your ticket', body: 'Away.' });
  const out = shortCircuitOutput(ticket, detectShortCircuit(ticket)!);
  assert.ok(triageOutputSchema.safeParse(out).success);
  assert.equal(out.handling_mode, 'no_action');
  assert.equal(out.reply_needed, false);
  assert.equal(out.reply_draft, null);
  assert.match(out.internal_notes[0]!, /^Decided by rules without an LLM \(auto-reply: automatic reply subject\)/);
});
