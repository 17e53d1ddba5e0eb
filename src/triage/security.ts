// The one security-signal detector, shared by the policy guard (which must never miss an escalation) and the rules
// provider (which must agree with it). Keyword and pattern based on purpose: deterministic, cheap, testable, and
// immune to instructions hidden in the ticket.

export interface SecuritySignal {
  /** Labels of the patterns that matched, e.g. ['cve', 'exploit']; empty when no signal. */
  matches: string[];
  /** True for signals that describe an incident in progress (breach, compromise), not a report or question. */
  incident: boolean;
}

interface SecurityPattern {
  label: string;
  pattern: RegExp;
  incident?: boolean;
}

// Word boundaries keep "hackathon" or "SLA breach" from escalating; the list errs on the side of escalating,
// because a human de-escalating a false positive is cheap and a missed vulnerability report is not.
const PATTERNS: SecurityPattern[] = [
  { label: 'vulnerability', pattern: /\bvulnerabilit(?:y|ies)\b|\bvulnerable\b/i },
  { label: 'exploit', pattern: /\bexploit(?:s|ed|able|ing)?\b|\bzero[- ]day\b|\b0day\b/i },
  { label: 'breach', pattern: /(?<!\bsla )\b(?:data |security )?breach(?:ed|es)?\b/i, incident: true },
  { label: 'hack', pattern: /\bhack(?:ed|er|ers|ing)?\b/i, incident: true },
  { label: 'cve', pattern: /\bCVE-\d{4}-\d{4,}\b|\bCVEs?\b/i },
  {
    label: 'unauthorized_access',
    pattern: /\bunauthori[sz]ed (?:access|login|logins|user|users|charges? to my account)\b|\baccount takeover\b/i,
    incident: true,
  },
  {
    label: 'leaked_credentials',
    pattern:
      /\b(?:leak(?:ed|ing)?|expos(?:ed|ing)|compromised|stolen)\s+(?:\w+\s+){0,2}(?:credentials?|passwords?|api keys?|tokens?|secrets?|keys?)\b|\b(?:credentials?|passwords?|api keys?|tokens?|secrets?)\s+(?:(?:were|was|have been|has been|got|are)\s+)?(?:leak(?:ed)?|exposed|compromised|stolen)\b/i,
    incident: true,
  },
  {
    label: 'compromised',
    pattern: /\b(?:account|server|system|site|instance)s? (?:was |were |has been |is )?compromised\b/i,
    incident: true,
  },
  { label: 'xss', pattern: /\bXSS\b|\bcross[- ]site scripting\b/i },
  { label: 'sql_injection', pattern: /\bSQL ?injection\b|\bSQLi\b/i },
  { label: 'csrf', pattern: /\bCSRF\b|\bcross[- ]site request forgery\b/i },
  { label: 'rce', pattern: /\bremote code execution\b|\bRCE\b/i },
  {
    label: 'ssrf_idor',
    pattern: /\bSSRF\b|\bIDOR\b|\bprivilege escalation\b|\bauthentication bypass\b|\bauth bypass\b/i,
  },
  { label: 'malware', pattern: /\bmalware\b|\bransomware\b|\bphishing\b|\bbackdoor\b/i },
  {
    label: 'disclosure',
    pattern: /\bresponsible disclosure\b|\bbug bounty\b|\bsecurity (?:issue|incident|flaw|hole|bug|report|concern)\b/i,
  },
  {
    label: 'data_exposure',
    pattern:
      /\bdata (?:leak|exposure)\b|\b(?:see|seeing|access|view|viewing) (?:other|another|someone else's) (?:customer|user|account|company|tenant)(?:'s|s'|s)? (?:data|records|contacts|information|files)\b/i,
    incident: true,
  },
];

export function detectSecuritySignal(...texts: string[]): SecuritySignal {
  const text = texts.join('\n');
  const matches: string[] = [];
  let incident = false;
  for (const { label, pattern, incident: isIncident } of PATTERNS) {
    if (pattern.test(text)) {
      matches.push(label);
      if (isIncident) incident = true;
    }
  }
  return { matches, incident };
}
