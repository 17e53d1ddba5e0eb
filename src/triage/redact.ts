// Removes secrets from ticket text before it leaves for a cloud provider: API keys, bearer tokens, key=value
// passwords, PEM private keys, JWTs and Luhn-valid card numbers become typed placeholders. The local provider gets the
// text as is (the chain decides); the order of the rules matters, the most specific shapes go first.

export interface RedactionResult {
  text: string;
  /** Count per placeholder, for logs and the run record (never the redacted values). */
  counts: Record<string, number>;
}

type Rule = { placeholder: string; pattern: RegExp; replace?: (match: string, ...groups: string[]) => string | null };

const API_KEY = '[REDACTED_API_KEY]';

const RULES: Rule[] = [
  {
    placeholder: '[REDACTED_PRIVATE_KEY]',
    pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)/g,
  },
  { placeholder: '[REDACTED_JWT]', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { placeholder: API_KEY, pattern: /\bsk-(?:proj-|ant-|live-)?[A-Za-z0-9_-]{20,}/g },
  { placeholder: API_KEY, pattern: /\bgsk_[A-Za-z0-9]{20,}/g },
  { placeholder: API_KEY, pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { placeholder: API_KEY, pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g },
  { placeholder: API_KEY, pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { placeholder: API_KEY, pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { placeholder: API_KEY, pattern: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}/g },
  // After the typed keys, so a key after "Bearer" is still named as an API key.
  {
    placeholder: '[REDACTED_TOKEN]',
    pattern: /\b(Bearer|Token|Basic)(\s+)([A-Za-z0-9._~+/=-]{12,})/gi,
    replace: (_m, scheme, space) => `${scheme}${space}[REDACTED_TOKEN]`,
  },
  {
    // key=value and key: value, including compound keys such as aws_secret_access_key or DB_PASSWORD.
    placeholder: '[REDACTED_SECRET]',
    pattern:
      /\b([A-Za-z0-9_.-]*(?:password|passwd|pwd|passphrase|secret|api[_-]?key|apikey|access[_-]?key|token|credential)[A-Za-z0-9_.-]*)(["']?\s*[:=]\s*)("[^"\n]*"|'[^'\n]*'|[^\s,;]+)/gi,
    replace: (_m, key, sep, value) => (value.startsWith('[REDACTED_') ? null : `${key}${sep}${placeholderFor(key)}`),
  },
  {
    // Natural language: "my password is hunter2".
    placeholder: '[REDACTED_PASSWORD]',
    pattern: /\b((?:password|passcode|passwort)\s+(?:is|was)\s*:?\s+)(\S+)/gi,
    replace: (_m, prefix, value) => (value.startsWith('[REDACTED_') ? null : `${prefix}[REDACTED_PASSWORD]`),
  },
  {
    placeholder: '[REDACTED_CARD]',
    pattern: /\b\d(?:[ -]?\d){12,18}\b/g,
    replace: (match) => (luhnValid(match.replace(/\D/g, '')) ? '[REDACTED_CARD]' : null),
  },
];

function placeholderFor(key: string): string {
  return /pass|pwd/i.test(key) ? '[REDACTED_PASSWORD]' : '[REDACTED_SECRET]';
}

export function luhnValid(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function redactSecrets(input: string): RedactionResult {
  const counts: Record<string, number> = {};
  let text = input;
  for (const rule of RULES) {
    text = text.replace(rule.pattern, (match: string, ...rest: unknown[]) => {
      const groups = rest.slice(0, -2).map((g) => (typeof g === 'string' ? g : ''));
      const replaced = rule.replace ? rule.replace(match, ...groups) : rule.placeholder;
      if (replaced === null) return match;
      const placeholder = /\[REDACTED_[A-Z_]+\]/.exec(replaced)?.[0] ?? rule.placeholder;
      counts[placeholder] = (counts[placeholder] ?? 0) + 1;
      return replaced;
    });
  }
  return { text, counts };
}
