// The independent kinds of evidence the security net scores. Each kind reads the folded ticket text
// (ticket-text.ts: lower-case, no accents, no upward steering) for what a report of that kind looks like in any
// wording — who/what is exposed, to whom, what the reporter did or did not do, payload and credential shapes — in
// English, Spanish, German, French and Portuguese. A kind is counted once, whatever number of its cues match.
// Strong kinds weigh the whole threshold on their own; weak kinds (0.3–0.6) only escalate together with another.
import type { TicketText } from '../ticket-text.ts';

export type SignalKind =
  | 'security_term'
  | 'incident_term'
  | 'foreign_data'
  | 'id_tampering'
  | 'credential'
  | 'public_place'
  | 'secret_exposed_in_output'
  | 'disowned_activity'
  | 'account_activity'
  | 'access_after_removal'
  | 'privilege_bypass'
  | 'script_payload'
  | 'payload_executes'
  | 'impersonation'
  | 'internal_infrastructure'
  | 'reporter_restraint'
  | 'bulk_extraction'
  | 'suppression_attempt';

export interface SignalDefinition {
  kind: SignalKind;
  weight: number;
  /** What the kind means, for the embed and the internal note. */
  reason: string;
  /** Marks evidence of something that has happened (exposure, misuse), not only a weakness. */
  incident?: boolean;
  test(text: TicketText): boolean;
}

const any = (text: string, ...patterns: RegExp[]) => patterns.some((p) => p.test(text));

// --- Security vocabulary, in five languages. Vulnerability-class names in a sentence about scanning or findings
// ("does the scanner catch XSS", "our scan flagged an SQL injection on our own API") describe the product, not an
// issue with it, so those sentences do not count.
const SECURITY_TERMS =
  /\b(?:vulnerab\w*|vulnerabilidad(?:es)?|vulnerabilidade\w*|vulnerabilite\w*|schwachstelle\w*|sicherheitslucke\w*|exploit\w*|zero[- ]day|0day|cve-\d{4}-\d+|\bcves?\b|xss|cross[- ]site (?:scripting|request forgery)|sql ?injection|sqli|csrf|ssrf|idor|rce|remote code execution|open redirect|subdomain takeover|takeover|privilege escalation|auth(?:entication)? bypass|malware|ransomware|phishing|phish\w*|backdoor|responsible disclosure|bug bounty|security (?:issue|flaw|hole|bug|report|concern|problem)|falha de seguranca|faille de securite|faille)\b/;
// Words that say it has already happened.
const INCIDENT_TERMS =
  /\b(?:(?<!sla |sla-)(?:data |security )?breach(?:ed|es)?|(?:were|was|got|been|are|is) hacked|hacked|gehackt|hackead[oa]s?|piratee?s?|invadid[oa]s?|account takeover|unauthori[sz]ed (?:access|login|logins|user|users|request|calls?|charges?)|acceso no autorizado|acces non autorise|acesso nao autorizado|unbefugte\w* zugriff|compromised|kompromittiert|comprometid[oa]s?|compromise|security incident|data (?:leak|exposure)|datenleck|fuite de donnees|vazamento de dados|filtracion de datos|brecha de seguridad)\b/;
const SCANNING_CONTEXT =
  /\b(?:scanner|scan(?:s|ned|ning)?|finding|findings|detect\w*|catch|test (?:for|against)|flag(?:ged|s)?|our own (?:api|app|site|code|endpoint)|does (?:it|the \w+) (?:test|check|find))\b/;
const termOutsideScanning = (terms: RegExp) => (t: TicketText) =>
  t.clean.split(/(?<=[.!?])\s+|\n+/).some((sentence) => terms.test(sentence) && !SCANNING_CONTEXT.test(sentence));

// --- Another party's data in front of this customer.
const FOREIGN_OWNER =
  /\b(?:an?other|other) (?:customer|client|company|compan(?:y|ies)|org|organi[sz]ation|tenant|user|account|workspace|business)(?:'s|s'|s)?\b(?! (?:plan|tier|vendor|tool))|\b(?:some(?:one|body) else'?s?|somebody else|someone else)\b|\bnever heard of\b|\bshared between (?:customers|tenants|accounts|orgs)\b|\bbelongs? to (?:some |an)?other\b|\b(?:ids?|reports?|records?|data|domains?|targets?) (?:that )?we (?:do not|don't) own\b|\bnot (?:our|my) (?:organi[sz]ation|company|org|data|report|tenant)\b|\bwhich is not us\b|\bnot for us\b|\b(?:otra|otro|otras|otros) (?:empresa|cliente|organizacion|cuenta)s?\b|\b(?:outra|outro|outras|outros) (?:empresa|cliente|organizacao|conta)s?\b|\b(?:autre|autres) (?:client|entreprise|societe|organisation|compte)s?\b|\b(?:anderen?|fremde[nm]?) (?:kunden|firma|unternehmens?|organisation|mandanten|konto)\b/;
const DATA_OR_VIEW =
  /\b(?:see|saw|seeing|seen|shows?|showed|shown|returns?|returned|got|get|gets|appears?|appeared|lists?|listed|contains?|includes?|opens?|opened|visible|view|rows?|records?|data|results?|findings|reports?|scans?|hostnames?|emails?|summary|vemos|aparecen|muestra|resultados|datos|sehen|angezeigt|daten|voyons|apparaissent|donnees|aparecem|dados)\b/;

const ID_TAMPERING =
  /\bchang\w* \d+ to \d+\b|\b(?:chang(?:e|ed|ing)|edit(?:ed|ing)?|modif(?:y|ied)|increment(?:ed|ing)?|tried|swap(?:ped)?)\b[^.\n]{0,60}\b(?:id|ids|number|numero|nummer|identifiant)\b|\bsequential\b|\bguessable\b|\bpredictable\b|\bjust numbers\b|\bthe (?:number|id) (?:after|before) ours\b|\boff-by-one\b|\benumerat\w*|\bids? \d+ (?:to|through|-) \d+|\bwithout (?:logging in|login|auth\w*)\b|\b(?:cambi\w+|mudamos|mudei|alter\w+|geandert|anderten|change)\b[^.\n]{0,40}\b(?:numero|nummer|id|identifiant)\b/;

// --- Credentials: the words, and the shapes real secrets have.
const CREDENTIAL_WORDS =
  /\b(?:api[- ]?keys?|keys?|tokens?|secrets?|passwords?|credentials?|bearer|authorization header|access keys?|private keys?|signing secret|\.env|connection string|session cookies?|claves?|contrasenas?|schlussel\w*|api-schlussel\w*|passwort|kennwort|cles?|cle api|mot de passe|chaves?|senhas?)\b/;
const CREDENTIAL_SHAPES: RegExp[] = [
  /\b(?:sk|pk|rk|ask|adm|ghp|gho|xox[abp]|whsec)_[a-z0-9_]{6,}/i,
  /\bakia[0-9a-z]{8,}/i,
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s@/]+@/i,
  /-----begin [a-z ]*private key-----/i,
  /\b[a-z_]*(?:token|secret|key|password|passwd)[a-z_]*\s*=\s*[a-z0-9_\-./+]{8,}/i,
  /\bbearer\s+[a-z0-9_\-.]{16,}/i,
];
const credential = (t: TicketText) => CREDENTIAL_WORDS.test(t.clean) || any(t.clean, ...CREDENTIAL_SHAPES);

const PUBLIC_PLACE =
  /\b(?:public(?:ly)?|published|publish(?:ed)?|made public|pastebin|paste site|gists?|forums?|q&a|stack ?overflow|tarball|npm package|docker hub|public registry|publico|publica|publicad[oa]|offentlich\w*|veroffentlich\w*|publique|publiee?)\b/;
const EXPOSURE_CONTEXT =
  /\b(?:plain ?text|clear ?text|in the clear|unmasked|not (?:a )?masked|not masked|world-readable|stack ?trace|printed|in (?:the )?(?:export|csv|logs?|audit log|response|json|payload|url|referr?er header|error page|diagnostics|debug bundle)|(?:export|csv|log|logs|diagnostics|bundle|response|error page)\b[^.\n]{0,60}\b(?:includes?|contains?|has|shows?|printed)|third[- ]party|referr?er|sent to the \w+ vendor|texto plano|klartext|en clair|texto simples)\b/;

// --- Activity the customer disowns.
const DISOWNED =
  /\b(?:no(?:body| one| one here)(?: here| on our (?:side|team|end)| of us)? (?:recogni[sz]es|recogni[sz]e|created|ran|run|started|made|did|added|authori[sz]ed|requested|works at that time|knows)|none of (?:us|the \w+|our \w+)(?: \w+)? (?:created|ran|did|made|added|started|recogni[sz]e)|(?:not|wasn't|isn't|was not|is not) (?:me|us|ours|our (?:office|address|ip|idp|domain|server|vpn|doing)|my (?:address|email|device|ip|doing))|that's not (?:me|us|ours|my \w+|our \w+)|(?:don't|do not|didn't|did not|can't|cannot) (?:recogni[sz]e|account for)|(?:didn't|did not|wasn't|was not) expect(?:ing)?|(?:we|i) (?:never|did not|didn't|don't|do not) (?:use|used|create|created|request|requested|start|started|run|ran|share|shared|authori[sz]e)|never used|unknown (?:ip|address|device|location|destination|login|session)|not recogni[sz]ed|unrecogni[sz]ed|i was asleep|i (?:denied|declined|rejected)|no idea how|how (?:did|does|could) (?:it|they|this) get|never shared|nadie|no reconocemos|desconocid[oa]s?|niemand|nicht von uns|erkennen wir nicht|unbekannte\w*|personne (?:ici|chez nous)?|ne reconnaissons pas|inconnue?s?|ninguem|nao reconhecemos|desconhecid[oa]s?)\b/;
const ACCOUNT_ACTIVITY =
  /\b(?:log ?ins?|logged in|sign[- ]?ins?|signed in|sessions?|mfa|2fa|push (?:prompts?|notifications?)|prompts|api calls?|calls|requests|usage|key (?:named|called)|created|exports?|downloads?|downloaded|scans?|webhook|idp|sso settings|password changed|reset (?:mail|email|link)|audit log|accesos|acessos|anmeldungen|connexions|\d{1,3}(?:\.\d{1,3}){3}|(?:at|around|um|a las|as|vers) 0?[0-4][:h.]\d\d|\b[1-4] ?am\b|de madrugada|mitten in der nacht|nachts|la nuit|overnight|all night|last night)\b/;

const REMOVED =
  /\b(?:removed|deleted|deprovisioned|offboarded|revoked|deactivated|disabled|left (?:the company|us)|ex-employee|former (?:employee|contractor|colleague|member)|shut down|entfernt|geloscht|deaktiviert|verlassen|ehemalig\w*|eliminad[oa]|borrad[oa]|desactivad[oa]|dejo la empresa|supprimee?|retiree?|desactivee?|a quitte|ancien\w*|removid[oa]|excluid[oa]|desativad[oa]|saiu da empresa)\b/;
const STILL_WORKS =
  /\b(?:still (?:works?|working|valid|active|logged in|has (?:a working|access)|can|returns?|being used|used|in use|get in|open)|(?:works|worked|working) (?:still|again|today)|still \d{3}|returns? 200|(?:heute|immer) noch|noch (?:aktiv|gultig)|funktioniert noch|sigue (?:funcionando|activ[oa])|todavia (?:funciona|puede)|fonctionne (?:encore|toujours)|toujours (?:actif|valide)|ainda (?:funciona|ativ[oa]|consegue))\b/;

const LOW_ROLE =
  /\b(?:viewers?|read[- ]only|read scope|scope "?read"?|(?:regular |normal |non-admin )?members?|guests?|non-admins?|solo lectura|nur lesen|lecture seule|somente leitura)\b/;
const PRIVILEGED_ACTION =
  /\b(?:(?:can|could|managed to|was able to|were able to) (?:even )?(?:delete|remove|start|change|edit|modify|create|write|open|see|access|manage|invite|promote)|with that key (?:works|succeeds)|(?:post|put|patch|delete) \/\S+ (?:with that key )?(?:works|succeeds|returns 200))\b/;

const SCRIPT_PAYLOAD =
  /<\s*script\b|\bon(?:error|load|mouseover|click|focus)\s*=|\bonload handler\b|javascript:|\balert\s*\(|document\.(?:cookie|domain|title|location)|<\s*(?:svg|iframe|img)\b[^>]*\bon\w+/;
const PAYLOAD_EXECUTES =
  /\b(?:fires|fired|executes?|executed|runs?|ran|pops? up|popped up|is rendered|rendered raw|renders|changes the page|se ejecuta|wird ausgefuhrt|s'execute|e executad[oa])\b/;

const LOOKALIKE =
  /\b(?:looks? like (?:you|yours|it'?s from you|your)|isn't you|is this (?:email |mail |message )?(?:really )?from you|with your (?:logo|branding)|not your domain|pretend\w*|impersonat\w*|spoof\w*|fake (?:invoice|email|login|page)|change of bank|new bank (?:account|details))\b/;
const LURE =
  /\b(?:asks? for (?:our |my |your )?(?:sso |login )?(?:password|credentials|login)|verify (?:here|your)|clicked|pay(?:ment)? to|bank (?:account|details)|suspended in|renew now|enter (?:their|our|your) password)\b/;

const INTERNAL_INFRA =
  /\b169\.254\.169\.254\b|\bmeta-?data\b[^.\n]{0,40}\b(?:instance|role|cloud|aws|iam)\b|\binternal (?:hostnames?|urls?|addresses|network|ips?|admin|services?)\b|\b(?:db|database)-internal|\binternal_admin\w*|\blocalhost\b|\b127\.0\.0\.1\b|\b10\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/;

const RESTRAINT =
  /\b(?:i|we) (?:have not|haven't|did not|didn't|never) (?:tried|try|used|use|accessed|access|claimed|claim|published|publish|shared|share|touched|gone|go|download\w*|exploited|kept)\b|\bstopped as soon as\b|\bclosed the tab\b|\bonly tested\b|\bresearcher\b|\breporting (?:this )?before\b|\bproof of concept\b|\bpoc\b|\bno hemos tocado\b|\bnada mas\b|\bnicht weiter\b|\bje n'ai pas (?:essaye|utilise|touche)\b|\bnao (?:tentei|usei|acessei|mexemos)\b/;

const BULK_EXTRACTION =
  /\b\d+(?:[.,]\d+)? ?(?:gb|tb)\b|\b(?:bulk|mass|large|huge|unexpected) (?:export|download)s?\b|\bsaved the results\b|\bscraped?\b|\bexfiltrat\w*|\bpulled\b[^.\n]{0,60}\bids?\b/;

export const SIGNALS: SignalDefinition[] = [
  {
    kind: 'security_term',
    weight: 1,
    reason: 'security vocabulary (vulnerability, XSS, phishing, …)',
    test: termOutsideScanning(SECURITY_TERMS),
  },
  {
    kind: 'incident_term',
    weight: 1,
    incident: true,
    reason: 'words of an incident (hacked, breach, compromised, unauthorised access)',
    test: termOutsideScanning(INCIDENT_TERMS),
  },
  {
    kind: 'foreign_data',
    weight: 1,
    incident: true,
    reason: "another customer's or person's data seen",
    test: (t) => FOREIGN_OWNER.test(t.clean) && DATA_OR_VIEW.test(t.clean),
  },
  {
    kind: 'id_tampering',
    weight: 0.5,
    reason: 'ids changed, guessed or enumerated',
    test: (t) => ID_TAMPERING.test(t.clean),
  },
  { kind: 'credential', weight: 0.5, reason: 'a credential or secret is involved', test: credential },
  {
    kind: 'public_place',
    weight: 0.5,
    reason: 'something put in a public place',
    test: (t) => PUBLIC_PLACE.test(t.clean),
  },
  {
    kind: 'secret_exposed_in_output',
    weight: 0.5,
    reason: 'shown in plain text, logs, exports, error pages or to a third party',
    // Only about a secret: "the findings in the CSV export" is an everyday sentence, "the token in the export" is not.
    test: (t) => EXPOSURE_CONTEXT.test(t.clean) && credential(t),
  },
  {
    kind: 'disowned_activity',
    weight: 0.6,
    incident: true,
    reason: 'activity or changes nobody on the customer side recognises',
    test: (t) => DISOWNED.test(t.clean),
  },
  {
    kind: 'account_activity',
    weight: 0.4,
    reason: 'logins, sessions, keys, calls, exports or settings changes',
    test: (t) => ACCOUNT_ACTIVITY.test(t.clean),
  },
  {
    kind: 'access_after_removal',
    weight: 1,
    incident: true,
    reason: 'a removed user, key or session still works',
    test: (t) => REMOVED.test(t.clean) && STILL_WORKS.test(t.clean),
  },
  {
    kind: 'privilege_bypass',
    weight: 1,
    reason: 'a restricted role or key can do more than it should',
    test: (t) => LOW_ROLE.test(t.clean) && PRIVILEGED_ACTION.test(t.clean),
  },
  // Payloads are read from the folded text before HTML stripping too: a raw <script> in an HTML body is still one.
  {
    kind: 'script_payload',
    weight: 0.7,
    reason: 'script payload shape (<script>, onerror=, javascript:)',
    test: (t) => SCRIPT_PAYLOAD.test(t.clean) || SCRIPT_PAYLOAD.test(t.raw),
  },
  {
    kind: 'payload_executes',
    weight: 0.3,
    reason: 'content runs or renders in the page',
    test: (t) => PAYLOAD_EXECUTES.test(t.clean) && (SCRIPT_PAYLOAD.test(t.clean) || SCRIPT_PAYLOAD.test(t.raw)),
  },
  {
    kind: 'impersonation',
    weight: 1,
    reason: 'someone impersonates the company (phishing, fake invoices)',
    test: (t) => LOOKALIKE.test(t.clean) && LURE.test(t.clean),
  },
  {
    kind: 'internal_infrastructure',
    weight: 0.6,
    incident: true,
    reason: 'internal infrastructure or metadata reachable or exposed',
    test: (t) => INTERNAL_INFRA.test(t.clean),
  },
  {
    kind: 'reporter_restraint',
    weight: 0.5,
    reason: 'the reporter says what they did not do (researcher pattern)',
    test: (t) => RESTRAINT.test(t.clean),
  },
  {
    kind: 'bulk_extraction',
    weight: 0.6,
    incident: true,
    reason: 'bulk download or extraction of data',
    test: (t) => BULK_EXTRACTION.test(t.clean),
  },
  {
    kind: 'suppression_attempt',
    weight: 0.5,
    reason: 'the ticket tells the triage to lower or hide it',
    test: (t) => t.suppressionAttempt,
  },
];
