import assert from 'node:assert/strict';
import { test } from 'node:test';
import { luhnValid, redactSecrets } from '../../../src/triage/redact.ts';

// Realistic shapes; none of these are live credentials.
const cases: { name: string; input: string; secret: string; placeholder: string }[] = [
  {
    name: 'OpenAI project key',
    input: 'Our integration uses sk-proj-4fGh7KLmN0pQrStUvWxYz123456789AbCdEf and it stopped working.',
    secret: 'sk-proj-4fGh7KLmN0pQrStUvWxYz123456789AbCdEf',
    placeholder: '[REDACTED_API_KEY]',
  },
  {
    name: 'Groq key',
    input: 'GROQ key gsk_8Jd02mfPq93KdlA0sMzXw1VbNcQr7TyU5iOp4LkJhGf2 returns 401',
    secret: 'gsk_8Jd02mfPq93KdlA0sMzXw1VbNcQr7TyU5iOp4LkJhGf2',
    placeholder: '[REDACTED_API_KEY]',
  },
  {
    name: 'AWS access key id',
    input: 'I configured AKIAIOSFODNN7EXAMPLE in the S3 connector.',
    secret: 'AKIAIOSFODNN7EXAMPLE',
    placeholder: '[REDACTED_API_KEY]',
  },
  {
    name: 'GitHub token',
    input: 'token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 was pasted in the webhook form',
    secret: 'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789',
    placeholder: '[REDACTED_API_KEY]',
  },
  {
    name: 'Slack bot token',
    input: 'Slack: xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
    secret: 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
    placeholder: '[REDACTED_API_KEY]',
  },
  {
    name: 'bearer token in a pasted curl command',
    input: 'curl -H "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0" https://api.example.com/v1/contacts',
    secret: '9f8e7d6c5b4a39281706f5e4d3c2b1a0',
    placeholder: '[REDACTED_TOKEN]',
  },
  {
    name: 'password as key=value',
    input: 'Connection string settings: host=db.internal user=admin password=Tr0ub4dor&3 port=5432',
    secret: 'Tr0ub4dor&3',
    placeholder: '[REDACTED_PASSWORD]',
  },
  {
    name: 'password as key: value',
    input: 'Login details\nUsername: dana\nPassword: CorrectHorse!Battery9\nThanks',
    secret: 'CorrectHorse!Battery9',
    placeholder: '[REDACTED_PASSWORD]',
  },
  {
    name: 'compound secret key in an env dump',
    input: 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nREGION=eu-west-1',
    secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    placeholder: '[REDACTED_SECRET]',
  },
  {
    name: 'password in a sentence',
    input: 'I reset it twice, my password is Summer2026! and it still fails',
    secret: 'Summer2026!',
    placeholder: '[REDACTED_PASSWORD]',
  },
  {
    name: 'JWT',
    input:
      'The session cookie is eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkRhbmEifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c please check',
    secret: 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
    placeholder: '[REDACTED_JWT]',
  },
  {
    name: 'card number with spaces (Luhn-valid)',
    input: 'Please refund the charge on card 4111 1111 1111 1111, expiry 12/28.',
    secret: '4111 1111 1111 1111',
    placeholder: '[REDACTED_CARD]',
  },
  {
    name: 'card number with dashes (Luhn-valid)',
    input: 'card: 5500-0000-0000-0004',
    secret: '5500-0000-0000-0004',
    placeholder: '[REDACTED_CARD]',
  },
];

for (const c of cases) {
  test(`redacts ${c.name}`, () => {
    const { text, counts } = redactSecrets(c.input);
    assert.ok(!text.includes(c.secret), `secret still present in: ${text}`);
    assert.ok(text.includes(c.placeholder), `placeholder ${c.placeholder} missing in: ${text}`);
    assert.ok((counts[c.placeholder] ?? 0) >= 1);
  });
}

test('redacts a PEM private key block entirely', () => {
  const pem = [
    '-----BEGIN RSA PRIVATE KEY-----',
    'MIIEowIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aumpOY4ynU1Vm6ddW9Zs7yrVxN',
    'q2Qs3JZ1xjTJzV8oE0cQ6rT9p1m2yW9w2h3ZqgC+u2cZ1o4pQx8e8q5nK8z0aQ==',
    '-----END RSA PRIVATE KEY-----',
  ].join('\n');
  const { text } = redactSecrets(`Here is our key for SSO:\n${pem}\nCan you check it?`);
  assert.equal(text, 'Here is our key for SSO:\n[REDACTED_PRIVATE_KEY]\nCan you check it?');
});

test('leaves ordinary support text alone', () => {
  const input = [
    'Order 1234567890123 (not a card) failed with error 500 at 10:42.',
    'Our password reset link expired. Token expiry is too short.',
    'Phone +1 415 555 0100, invoice INV-2026-0042, ticket 4711.',
    'We use the skeleton-loader component and sk-8 size.',
  ].join('\n');
  const { text, counts } = redactSecrets(input);
  assert.equal(text, input);
  assert.deepEqual(counts, {});
});

test('Luhn check', () => {
  assert.equal(luhnValid('4111111111111111'), true);
  assert.equal(luhnValid('4111111111111112'), false);
  assert.equal(luhnValid('79927398713'), false, 'too short for a card even though Luhn-valid');
});

test('does not double-redact a value that is already a placeholder', () => {
  const once = redactSecrets('api_key=sk-proj-4fGh7KLmN0pQrStUvWxYz123456789AbCdEf').text;
  assert.equal(once, 'api_key=[REDACTED_API_KEY]');
  assert.equal(redactSecrets(once).text, once);
});
