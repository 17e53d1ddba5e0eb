// The independent kinds of evidence the security net scores. Each kind reads the folded ticket text
// (ticket-text.ts: lower-case, no accents, no upward steering) for what a report of that kind looks like in any
// wording — who/what is exposed, to whom, what the reporter did or did not do, payload and credential shapes — in
// English, Spanish, German, French and Portuguese. A kind is counted once, whatever number of its cues match.
// Strong kinds weigh the whole threshold on their own; weak kinds (0.3–0.6) only escalate together with another.
import type { TicketText } from '../ticket-text.ts';
import { credentialIn, notOnlyTheCustomersOwn } from './credentials.ts';
import { near, PLANNED, RETRACTED, SUPPOSED, stated, statedTogether, statements, unhedged } from './statements.ts';
import {
  ACCESS_HOLDER,
  DATA_OR_VIEW,
  FOREIGN_OWNER,
  HOWTO_QUESTION,
  ID_TAMPERING,
  LOW_ROLE,
  PRIVILEGED_ACTION,
  REMOVED,
  STILL_WORKS,
  sentencesOf,
} from './vocabulary.ts';
import {
  ACCOUNT_ACTIVITY,
  DISOWNED,
  EXPOSURE_CONTEXT,
  IT_OPENS,
  PUBLIC_PLACE,
  RESTRAINT,
  WITHOUT_LOGIN,
} from './vocabulary-exposure.ts';

export type SignalKind =
  | 'security_term'
  | 'incident_term'
  | 'foreign_data'
  | 'id_tampering'
  | 'no_login_needed'
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
  | 'suppression_attempt'
  | 'untrusted_destination';

export interface SignalDefinition {
  kind: SignalKind;
  weight: number;
  /** What the kind means, for the embed and the internal note. */
  reason: string;
  /** Marks evidence of something that has happened (exposure, misuse), not only a weakness; a function when only
   * some ways of matching are. */
  incident?: boolean | ((text: TicketText) => boolean);
  test(text: TicketText): boolean;
}

// --- Security vocabulary, in five languages, plurals included. Vulnerability-class names in a sentence about
// scanning, findings or coverage ("does the scanner catch XSS", "stored XSS coverage", "our scan flagged an SQL
// injection on our own API") describe the product, not an issue with it, so those sentences do not count.
const SECURITY_TERMS =
  /\b(?:vulnerab\w*|vulnerabilidad(?:es)?|vulnerabilidade\w*|vulnerabilite\w*|schwachstelle\w*|sicherheitslucke\w*|sicherheitsproblem\w*|sicherheitsrisik\w*|exploit\w*|zero[- ]day|0day|cve-\d{4}-\d+|\bcves?\b|xss|cross[- ]site (?:scripting|request forgery)|sql ?injection|sqli|inyeccion(?:es)? (?:de )?sql|injection sql|injecao (?:de )?sql|sql-injection|csrf|ssrf|idor|rce|remote code execution|open redirect|subdomain takeover|takeover|attackers?|angreifer\w*|atacantes?|attaquants?|privilege escalation|escalada de privilegios|rechteausweitung|elevation de privileges?|escalonamento de privilegios|auth(?:entication)? bypass|malware|ransomware|phishing|phish\w*|hameconnage|backdoor|responsible disclosure|bug bounty|security (?:issue|flaw|hole|bug|report|concern|problem)s?|(?:fallo|falla|agujero|problema|brecha)s? de seguridad|(?:falha|brecha|problema)s? de seguranca|failles?|problemes? de securite)\b/;
// Words that say it has already happened.
const INCIDENT_TERMS =
  /\b(?:(?<!sla |sla-)(?:data |security )?breach(?:ed|es)?(?! of (?:the |our |your |its |their )?(?:sla|contract|agreement|terms|service level|commitment|promise|warranty))|(?:were|was|got|been|are|is) hacked|hacked|gehackt|hackead[oa]s?|piratee?s?|invadid[oa]s?|account takeover|(?:was|were|been|got|is|are) (?:taken over|hijacked)|hijacked|gekapert|secuestrad[oa]s?|sequestrad[oa]s?|unauthori[sz]ed (?:access|login|logins|user|users|request|calls?|charges?)|acceso (?:no autorizado|indebido)|acces (?:non autorise|frauduleux)|acesso (?:nao autorizado|indevido)|unbefugte\w* (?:zugriff|anmeldung\w*)|unberechtigte\w* zugriff|compromised|kompromittiert|comprometid[oa]s?|compromise|(?:est|ete|sont|a ete) compromise?s?|security incident|data (?:leak|exposure)|audit (?:entries|logs?|records?|trail)\b[^.\n]{0,40}\b(?:removed|deleted|wiped|cleared|purged)|datenleck|datenpanne|datenabfluss|fuite (?:de donnees|d'informations)|violation de donnees|vazamento de dados|dados vazad[oa]s|vazaram|filtracion de datos|fuga de (?:datos|informacion)|brecha de seguridad)\b/;
const SCANNING_CONTEXT =
  /\b(?:vulnerability (?:management|program(?:me)?|assessment|dashboard|feeds?|tracking|backlog)|schwachstellen-?(?:management|dashboard)|scanner|scan(?:s|ned|ning)?|finding|findings|detect\w*|catch|caught|picks? up|pentest\w*|pen ?testers?|test (?:for|against)|flag(?:ged|s)?|coverage|cover(?:s|ed)?|support for|(?:do|does) (?:you|it|the \w+) (?:support|cover|test|check|find)|our own (?:api|app|site|code|endpoint)|(?:on|in) our (?:[\w-]+ ){0,2}(?:api|apis|app|site|endpoint|service|backend)\b|does (?:it|the \w+) (?:test|check|find)|escaner|escane\w*|cobertura|abdeckung|erkenn\w*|couverture|deteccao|deteta\w*)\b/;
// In a ticket about the scanner, its questions are about the product too: "what about blind sqli?" after "does your
// scanner send payloads like <script>…?" asks what it tests, it reports nothing.
// "… or only injection stuff like SQLi?" continues the question before it.
const asksAboutTheProduct = (sentence: string, text: string) =>
  (HOWTO_QUESTION.test(sentence.replace(LEADING_CONJUNCTION, '')) ||
    (LEADING_CONJUNCTION.test(sentence) && /\?\s*$/.test(sentence))) &&
  CAPABILITY_QUESTION.test(text);
// The ticket asks what the product tests: "does your scanner detect …", "evaluating you against …", "coverage".
const CAPABILITY_QUESTION =
  /\b(?:(?:does|do|can|will|would) (?:your|the|it|you)(?: \w+)?(?: actually| also)? (?:test|detect|find|catch|check|cover|support|send|flag|scan|try)\w*|coverage|evaluat\w+ (?:you|your|vendors|tools|scanners)|comparing (?:you|vendors|tools|scanners)|which (?:checks|tests|attacks|payloads)|(?:detecta|prueba|erkennt|testet|detecte|teste|deteta) (?:\w+ )?(?:xss|sqli|bola|idor|inyeccion|injection|injecao))\b/;
const LEADING_CONJUNCTION = /^\W*(?:and|or|also|but|plus|und|oder|auch|y|o|tambien|et|ou|aussi|e|tambem)\s+/;
const aboutTheProduct = (sentence: string, text: string) =>
  SCANNING_CONTEXT.test(sentence) || asksAboutTheProduct(sentence, text);
const termOutsideScanning = (terms: RegExp) => (t: TicketText) =>
  sentencesOf(t.clean).some((sentence) => terms.test(sentence) && !aboutTheProduct(sentence, t.clean));
const QUESTIONNAIRE =
  /\b(?:questionnaires?|due diligence|(?:vendor|third[- ]party|supplier) (?:risk )?(?:assessment|review)|sig lite|caiq|fragebogen|cuestionario|questionario|questionnaire)\b/;
// A sentence telling what a scan finding's evidence says describes the customer's own API, not our product.
const FINDING_EVIDENCE =
  /\b(?:evidence|flagged|(?:the|this|your) (?:finding|scan|scanner|report) (?:says|shows|claims|states|reports)|according to (?:the|your) (?:scan|scanner|report|finding)|laut (?:dem )?(?:scan|befund|bericht)|segun (?:el )?(?:escaneo|informe|hallazgo)|selon (?:le )?(?:scan|rapport)|segundo o (?:scan|relatorio))\b/;

const ROLE_WISH =
  /\b(?:(?:custom|new|another|separate|extra|more granular|finer) roles?\b[^.\n]{0,40}\b(?:roadmap|plans?|planned|request)|(?:would like|we'd like|we would like|we'd love|we need|we want|any plans for) (?:a |an )?(?:custom |new |separate |extra )?(?:roles?|permission levels?)|(?:a )?role between \w+ and \w+)\b/;
const DOCUMENTED =
  /\b(?:per (?:your|the) (?:docs|documentation)|as documented|by design|according to (?:your|the) (?:docs|documentation)|(?:is|it'?s) (?:expected|intended)|laut (?:ihrer |der )?dokumentation|segun (?:la|su) documentacion|selon (?:la|votre) documentation|conforme (?:a|sua) documentacao)\b/;
// What a restricted role did (past tense, with its object), or a write answered with success for it.
const LOW_ROLE_DID =
  /\b(?:(?:should(?:n't| not)|(?:is|are)(?:n't| not) supposed to) (?:be able to )?(?:\w+ ){0,2}?(?:delete|remove|change|edit|invite|do (?:that|this))|(?:gone|deleted|removed) for everyone)\b|(?<!\b(?:the|an?|our|your|their|its|this|that|be|been) )\b(?:deleted|removed|changed|edited|modified|created|invited|promoted|exported|disabled)\b(?: (?:it|them|this|that)\b|(?: (?:the|our|a|an|its|their|his|her|that|this))?(?: ["\w'-]+){0,3} (?:targets?|projects?|scans?|schedules?|keys?|users?|members?|settings?|reports?|orgs?|webhooks?|roles?|integrations?)\b)|\b(?:returns?|returned|gives?|gave) 20[0-4]\b[^.\n]{0,40}\b(?:viewers?|read-only|members?|guests?)\b|\b(?:post|put|patch|delete)\b[^.\n]{0,60}\b(?:got|get|returned|returns|gave|answered with|came back) (?:a |an )?20[0-4]\b/;
// A purpose or a wish before "can …": "so I can manage members", "to be able to", "damit ich … kann".
const PURPOSE =
  /\b(?:so(?: that)?|in order to|want to|need to|would like to|para que|para poder|damit|pour que|afin de|pour pouvoir)(?: \w+){0,2} $/;
const foreignDataSentences = (t: TicketText) =>
  sentencesOf(t.clean).filter(
    (s) =>
      !SAME_SYMPTOM.test(s) &&
      !FINDING_EVIDENCE.test(s) &&
      !OWN_OTHER_ORG.test(s) &&
      !NOT_ANOTHER_PARTY.test(s) &&
      stated(s, FOREIGN_OWNER, false),
  );
// The rest of the writer's own team ("the other users log in fine"), another party ruled out ("no other customer
// accounts were touched"), and another party as an outage's yardstick ("my friend's workspace on another account works
// fine", "whether it affects other customers or only us").
const NOT_ANOTHER_PARTY =
  /\b(?:bought|acquired|merged with|took over|compramos|adquirimos|adquirio|fusionamos|kauften|haben (?:\w+ )?(?:gekauft|ubernommen)|avons (?:rachete|acquis)|rachete)\b[^.\n]{0,30}\b(?:another|other|a|outra|otra|eine andere|une autre)? ?(?:company|companies|firm|business|empresa|firma|unternehmen|societe|entreprise)\b|\b(?:another|other|a different|(?:my|a) (?:friend|colleague)'?s?)\b[^.\n]{0,40}\b(?:works?|working|loads?|runs?|is|are) (?:just )?(?:fine|normally|ok|okay|as expected)\b|\b(?:affects?|affected|affecting|impacts?|impacted|hits?) (?:\w+ ){0,2}other (?:customers|clients|companies|orgs|organi[sz]ations|tenants|users|accounts)\b|\bthe other (?:users|members|people|colleagues|admins|accounts)\b|\b(?:outro|otro|(?:los|las|os|as) (?:otr|outr)[oa]s|die anderen|les autres|un autre) (?:usuari[oa]s?|miembros?|membros?|benutzer|nutzer|mitglieder|utilisateurs?|membres?)\b(?! (?:de|da|do|del|d'une?) (?:otra|outra|autre|anderen))|\bother (?:users|members) (?:in|of|on) (?:our|my|the same)\b|\bno (?:other|another) (?:customer|client|company|org|organi[sz]ation|tenant|user|account)s?\b/;
// The writer's own other organisation: "I use my account for a new project in a different org".
const OWN_OTHER_ORG =
  /\b(?:i|we|my|our)\b[^.\n]{0,50}\b(?:in|into|to|for|under) (?:a |an |my |our )?(?:different|another|other|new|second|separate) (?:org|organi[sz]ation|workspace|account|tenant)s?\b/;
// "Your password was changed" … "I didn't change anything": a change to the account the holder did not make. (Alone,
// "we didn't change anything" is an outage report's ruled-out cause.)
const ACCOUNT_CHANGED =
  /\b(?:password|e-?mail(?: address)?|mfa|2fa|phone number|recovery (?:e-?mail|phone))\b[^.\n]{0,20}\b(?:was|has been|got|were) (?:changed|reset|removed|updated|turned off|disabled)\b/;
const NOT_MY_CHANGE =
  /\b(?:i|we) (?:didn't|did not|never) (?:change|changed|reset|touch|touched|do|did) (?:anything|it|that|this|a thing)\b/;
// "Nobody did it in bad faith" (a controlled test) says who did it, not that nobody did.
const NO_BAD_FAITH =
  /\b(?:nobody|no one|ninguem|nadie|niemand|personne)\b[^.\n]{0,40}\b(?:in bad faith|maliciously|with bad intent|de ma-?fe|de mala fe|con mala intencion|com ma intencao|in boser absicht|boswillig|de mauvaise foi|avec malveillance)\b/;
// "Another company sees the same 502": someone else has the problem too.
const SAME_SYMPTOM =
  /\b(?:(?:the )?same (?:issue|problem|error|outage|thing|behaviou?r|message|errors|502|500|503|504)|(?:see|sees|seeing|say|says|said|report|reports|reported|have|has|having|get|gets|getting) the same|same here|(?:is|are) (?:also )?(?:down|affected|impacted) too|lo mismo|(?:el mismo|la misma) (?:problema|error|fallo|falla|caida)|les pasa lo mismo|(?:dasselbe|das gleiche|den gleichen|die gleiche|denselben|dieselbe) (?:problem|fehler|storung)|(?:le meme|la meme) (?:probleme|erreur|panne|souci|chose)|(?:o mesmo|a mesma) (?:problema|erro|falha|coisa))\b/;

const FEATURE_OFF =
  /\b(?:login|logins|sign-?ins?|authentication|feature|option|setting|settings)\b[^.\n]{0,20}\b(?:is|are|was|were) (?:disabled|turned off|switched off)\b|\bdisabled by (?:policy|default)\b/;
const PERSONAL_DATA =
  /\b(?:data|datos|daten|donnees|dados|customers?|clientes?|kunden|emails?|e-mails?|hostnames?|reports?|findings|exports?|names?|addresses|phone numbers?|records|rows)\b/;

// What the ticket reports, which is what the signals read. Left out: in a ticket about the scanner, its questions
// about what it tests ("does it find BOLA, i.e. changing ids between two users' tokens?"); a scan's finding on the
// customer's own assets; a note that the customer redacted its secrets; a raise attempt's shouting subject.
export function reportedText(t: TicketText): TicketText {
  const asking = CAPABILITY_QUESTION.test(t.clean);
  const lines = t.clean.split('\n');
  const kept = lines.map((line, index) =>
    // A subject shouting "SECURITY INCIDENT" over an instruction to raise the ticket is part of the steering.
    index === 0 && t.raiseAttempt
      ? ''
      : sentencesOf(line)
          .filter(
            (sentence) =>
              !(asking && asksAboutTheProduct(sentence, t.clean)) &&
              !SCAN_REPORTED.test(sentence) &&
              !REDACTION_NOTE.test(sentence),
          )
          .join(' '),
  );
  return { ...t, clean: kept.join('\n') };
}
// "Your last scan of our storefront reported a finding: …": the scanner's finding on the customer's own assets.
// Also the finding's severity or quoted title: "last night's scan flagged our own endpoint … as Critical", "our scan
// flagged \"Secret exposed in response body\" (high)".
const SCAN_REPORTED =
  /\b(?:scan|scanner)\b[^.\n]{0,60}\b(?:reported|flagged|found|raised) (?:a |an |the |this )?(?:(?:critical|high|medium|low) )?(?:finding|issue|problem|alert|['"])|\bfinding (?:['"]|called |named |titled )|\b(?:scan|scanner)\b[^.\n]{0,60}\bflagged\b[^.\n]{0,80}\bas (?:critical|high|medium|low)\b/;
// "Tokens in the log below are redacted by our tooling": the customer has removed the secrets.
const REDACTION_NOTE =
  /\b(?:(?:tokens?|secrets?|keys?|signatures?|credentials?|passwords?|headers?)(?: (?:and|&) \w+)?(?: [\w-]+){0,4}? (?:are|were|have been|is|was) (?:redacted|masked|blanked|scrubbed)|(?:redacted|masked) by (?:us|our|me))\b/;

const credential = (t: TicketText) => credentialIn(t.clean);

const SCRIPT_PAYLOAD =
  /<\s*script\b|\bon(?:error|load|mouseover|click|focus)\s*=|\bonload handler\b|javascript:|\balert\s*\(|document\.(?:cookie|domain|title|location)|<\s*(?:svg|iframe|img)\b[^>]*\bon\w+/;
const PAYLOAD_EXECUTES =
  /\b(?:(?:popup|pop-up|alert|alerte|fenetre|ventan\w*|janel\w*|fenster) (?:s'affiche|appears|shows up|opens|aparece|erscheint|se abre|abre)|(?:aparece|erscheint|s'affiche|sale|salta) (?:una? |um |ein |une )?(?:popup|pop-up|alerta|alert|alerte|ventan\w*|janel\w*|fenster)|fires|fired|executes?|executed|runs?|ran|pops?(?: up)?|popping(?: up)?|popped(?: up)?|alert (?:box|dialog|window|popup)|(?:rendered|interpreted|treated) as html|gets rendered|is rendered|rendered raw|renders|changes the page|se ejecuta|ejecutad[oa]|wird ausgefuhrt|ausgefuhrt|s'execute|execute|e executad[oa]|executa)\b/;

// A payload in a sentence that asks what the scanner sends ("does it send <script>alert(1)</script>?") is no report.
const payloadStated = (t: TicketText) =>
  [t.clean, t.raw].some((text) =>
    sentencesOf(text).some((sentence) => SCRIPT_PAYLOAD.test(sentence) && !asksAboutTheProduct(sentence, t.clean)),
  );

const UNTRUSTED_DESTINATION =
  /\b(?:(?:accepts?|allows?|takes?|follows?) any (?:external |arbitrary |outside )?(?:url|domain|host|address|redirect|link)s?|(?:a |an )?(?:page|site|domain|server|host|url) (?:that )?(?:i|we|an attacker|attackers|someone|anyone) controls?|attacker[- ]controlled|(?:redirects?|sends?) (?:the user|users|them|you|people|the browser) (?:there|to (?:any|an arbitrary|an external|another) (?:url|site|domain|host)))\b/;

const LOOKALIKE =
  /\b(?:looks? like (?:you|yours|it'?s from you|your)|(?:logo|footer|branding|signature)s?(?: and (?:the )?\w+)? match(?:es)? (?:yours|ours|exactly)|look(?:s|ed)? (?:a bit |a little |slightly )?off|isn't you|is this (?:email |mail |message )?(?:really )?from you|with your (?:logo|branding)|not your domain|pretend\w*|impersonat\w*|spoof\w*|fake (?:invoice|email|login|page)|change of bank|new bank (?:account|details)|(?:se )?hacen? pasar por|suplant\w+|con (?:su|vuestro) logo|factura falsa|correo falso|nuevos datos bancarios|gibt sich als|gaben sich als|mit ihrem logo|gefalscht\w*|falsche (?:rechnung|e-?mail)|neue bankverbindung|se fai\w* passer pour|usurp\w*|avec votre logo|fausse (?:facture|page)|faux (?:mail|e-mail|courriel)|nouvelles coordonnees bancaires|se passa\w* por|com o (?:seu )?logo|fatura falsa|e-?mail falso|novos dados bancarios)\b/;
const LURE =
  /\b(?:asks? for (?:our |my |your )?(?:sso |login )?(?:password|credentials|login)|verify (?:here|your)|clicked|(?:entered|typed|put in|submitted|gave) (?:\w+ ){0,2}(?:credentials|passwords?|logins?)|sign in to (?:review|view|see|check|confirm)|pay(?:ment)? to|bank (?:account|details)|banking (?:details|partner|information|data)|remit\w*|(?:to )?(?:our|a|the) new (?:bank )?account|suspended in|(?:update|enter\w*|confirm|re-?enter)(?: \w+){0,2} (?:payment (?:method|details)|card(?: details| number)?|credit card|billing details)|(?:confirmer|mettre a jour|saisi\w*|entre\w*) (?:\w+ ){0,2}(?:moyen de paiement|mot de passe|carte|identifiants)|(?:confirmar|actualizar|introdu\w+|ingres\w+) (?:\w+ ){0,2}(?:metodo de pago|contrasena|tarjeta|credenciales)|(?:zahlungs\w+|passwort|kreditkarte|zugangsdaten) (?:\w+ ){0,2}(?:bestatigen|aktualisieren|eingegeben|eingeben)|(?:confirmar|atualizar|digit\w+|inseri\w+) (?:\w+ ){0,2}(?:forma de pagamento|metodo de pagamento|senha|cartao|credenciais)|link (?:goes|points|leads) (?:to )?(?:a |an )?(?:different|other|strange|unknown|weird) (?:site|domain|page|address)|renew now|enter (?:their|our|your) password|pagar (?:a|en|em|para)|payer (?:sur|a)|(?:zahlen|uberweisen) (?:sie )?(?:auf|an)|pide\w* (?:la |nuestra |mi |su )?(?:contrasena|clave|credenciales)|hic\w+ clic|datos bancarios|(?:fragt|fordert|verlangt) (?:nach )?(?:\w+ )?(?:passwort|kennwort|zugangsdaten)|geklickt|bankverbindung|demande (?:\w+ )?(?:mot de passe|identifiants)|clique\w*|coordonnees bancaires|virement|pede (?:\w+ )?(?:senha|credenciais)|clic(?:ou|amos|ei)|dados bancarios)\b/;

const INTERNAL_INFRA =
  /\b169\.254\.169\.254\b|\bmeta-?data\b[^.\n]{0,40}\b(?:instance|role|cloud|aws|iam)\b|\binternal (?:hostnames?|urls?|addresses|network|ips?|admin|services?)\b|\b(?:hostnames?|urls?|direcciones|adressen|adresses|enderecos|servidores|serveurs|server) intern(?:os|as|es|e|en|o|a)\b|\binterne[nr]? (?:hostnamen|server|adressen|urls?)\b|\b(?:db|database)-internal|\binternal_admin\w*|\byour internal (?:[\w-]+ )?(?:connection strings?|tokens?|credentials?|keys?|passwords?|database urls?)\b|\bx-internal-token\b|\b(?:your|ihre[nm]?|vos|vuestr[ao]s|sus|seus|suas) intern\w* (?:credentials|zugangsdaten|passw\w+|kennw\w+|identifiants|credenciales|credenciais|secrets?|keys|schlussel)|\b[a-z0-9-]+\.internal\.[a-z0-9-]+\.[a-z]+\b|\blocalhost\b|\b127\.0\.0\.1\b|\b10\.\d{1,3}\.\d{1,3}\.\d{1,3}\b(?!\/\d)/;

const BULK_EXTRACTION =
  /\b\d+(?:[.,]\d+)? ?(?:gb|tb)\b|\b(?:bulk|mass|large|huge|unexpected) (?:export|download)s?\b(?! (?:menu|button|feature|option|tab|page|settings?|endpoint|api|function|tool))|\bsaved the results\b|\b(?:exported|downloaded|pulled) (?:all|every|the whole|the entire)(?: of)? (?:our |the )?(?:findings|reports|scans|data|projects|targets|results)\b|\bscraped?\b|\bexfiltrat\w*|\bpulled\b[^.\n]{0,60}\bids?\b|\b(?:downloaded|exported|pulled|descarg\w+|exportad[oa]s?|heruntergeladen|exportiert|telecharge\w*|exporte\w*|baixad[oa]s?|baixaram)\b[^.\n]{0,30}\b\d{1,3}(?:[.,]\d{3})+\b|\b\d{1,3}(?:[.,]\d{3})+\b[^.\n]{0,30}\b(?:downloaded|exported|descargad[oa]s|heruntergeladen|exportiert|telecharge\w*|baixad[oa]s|exportad[oa]s)\b|\b(?:descargas? masivas?|exportacion(?:es)? masivas?|massen-?(?:download|export)\w*|telechargements? massifs?|exports? massifs?|(?:download|exportacao|exportacoes) em massa)\b/;

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
    reason: 'words of an incident (hacked, breach, compromised, unauthorised access)',
    // A questionnaire's item ("Have you experienced any data breach in the last 24 months?") asks about us, in general.
    test: (t) =>
      termOutsideScanning(INCIDENT_TERMS)(QUESTIONNAIRE.test(t.clean) ? { ...t, clean: statements(t.clean) } : t),
    // A fear ("I think we've been HACKED - can't get in!!!") escalates, but only a stated one is an incident.
    incident: (t) => termOutsideScanning(INCIDENT_TERMS)({ ...t, clean: unhedged(t.clean) }),
  },
  {
    kind: 'foreign_data',
    weight: 1,
    reason: "another customer's or person's data seen",
    // Stated, not asked: "can I share a report with another company?" is a how-to.
    // A stranger who has the same problem ("another company sees the same 502") is evidence of an outage, not of
    // their data reaching us: such sentences do not count.
    test: (t) => foreignDataSentences(t).length > 0 && DATA_OR_VIEW.test(t.clean) && !RETRACTED.test(t.clean),
    // Seen, not supposed: "anyone could open other companies' reports?" is a weakness (high), and so are the other
    // users a planted script runs for; "I can see another tenant's keys" is an exposure (critical).
    incident: (t) => foreignDataSentences(t).some((s) => !SUPPOSED.test(s) && !PAYLOAD_EXECUTES.test(s)),
  },
  {
    kind: 'id_tampering',
    weight: 0.5,
    reason: 'ids changed, guessed or enumerated',
    test: (t) => ID_TAMPERING.test(t.clean),
  },
  {
    kind: 'no_login_needed',
    weight: 0.5,
    reason: 'something opens without signing in',
    test: (t) => statedTogether(t.clean, WITHOUT_LOGIN, IT_OPENS),
  },
  { kind: 'credential', weight: 0.5, reason: 'a credential or secret is involved', test: credential },
  {
    kind: 'public_place',
    weight: 0.5,
    reason: 'something put in a public place',
    // Next to what was put there: "results published to the pipeline summary" three lines above "org keys" is not one.
    test: (t) => near(t.clean, PUBLIC_PLACE, (s) => credentialIn(s) || PERSONAL_DATA.test(s), 3),
    // A secret in a public place has been exposed already, whoever else noticed: an incident, not a weakness. Not a
    // secret only asked about ("can we put a password on public links?").
    // The customer's own key in their own public repository, with no sign of use, is theirs to rotate (high); ours —
    // an internal or admin token, one in our package, one a researcher found — is an exposure (critical).
    incident: (t) => near(statements(t.clean), PUBLIC_PLACE, notOnlyTheCustomersOwn, 3),
  },
  {
    kind: 'secret_exposed_in_output',
    weight: 0.5,
    reason: 'shown in plain text, logs, exports, error pages or to a third party',
    // Only about a secret: "the findings in the CSV export" is an everyday sentence, "the token in the export" is not.
    // In the same sentence or the next: "the log shows … our signing secret haven't changed" five lines apart is not.
    test: (t) => near(t.clean, EXPOSURE_CONTEXT, credentialIn, 1),
  },
  {
    kind: 'disowned_activity',
    weight: 0.6,
    // Misuse, unless what nobody made is a planted script's name ("we didn't create that path"): a weakness shown.
    incident: (t) => !payloadStated(t),
    reason: 'activity or changes nobody on the customer side recognises',
    test: (t) =>
      (DISOWNED.test(
        sentencesOf(t.clean)
          .filter((s) => !NO_BAD_FAITH.test(s))
          .join('\n'),
      ) ||
        (ACCOUNT_CHANGED.test(t.clean) && NOT_MY_CHANGE.test(t.clean))) &&
      !RETRACTED.test(t.clean),
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
    // A revocation that does not hold is a weakness (high); someone using it is what makes an incident, and that is
    // read by the kinds of misuse (disowned activity, bulk extraction…).
    reason: 'a removed user, key or session still works',
    // About access (a key, a person, a session): "removed the column and the filter still works" is not one.
    // What was removed is a person, key or session, named in the removal's sentence or the next one ("We offboarded
    // Jake. His key still works."): "removed chunked encoding" in a bug log's list of tries is not one.
    test: (t) => {
      // Stated, not planned: "will the old key keep working until I delete it?" asks about a rotation.
      // Nor our signatures: "deliveries are still signed with the previous secret" is a rotation bug of ours.
      const stillWorks = (s: string) => !PLANNED.test(s) && !/\bsign(?:ed|s) with\b/.test(s) && STILL_WORKS.test(s);
      const sentences = sentencesOf(t.clean);
      return sentences.some((s, i) => {
        // "Password login is disabled by policy" turns a feature off; it removes nobody's access.
        if (!REMOVED.test(s) || FEATURE_OFF.test(s)) return false;
        const near = `${s} ${sentences[i + 1] ?? ''}`;
        // And what still works is told near the removal: "the CLI still reads 'status'" twenty log lines below "the
        // throwaway key was revoked" is about something else.
        return (
          (credentialIn(near) || ACCESS_HOLDER.test(near)) &&
          sentences.slice(Math.max(0, i - 3), i + 5).some(stillWorks)
        );
      });
    },
  },
  {
    kind: 'privilege_bypass',
    weight: 1,
    reason: 'a restricted role or key can do more than it should',
    // Either "a viewer can delete", or a restricted role next to something it did ("he is a Viewer … he deleted it");
    // what the documentation says a role may do ("Member can invite, per your docs") is a wish for another role, and
    // so is every role described in a request for a new one.
    test: (t) => {
      if (ROLE_WISH.test(t.clean)) return false;
      const text = sentencesOf(t.clean)
        .filter((sentence) => !DOCUMENTED.test(sentence))
        .join('\n');
      return (
        (LOW_ROLE.test(text) && stated(text, PRIVILEGED_ACTION, true, PURPOSE)) ||
        near(text, LOW_ROLE, (window) => LOW_ROLE_DID.test(window))
      );
    },
  },
  // Payloads are read from the folded text before HTML stripping too: a raw <script> in an HTML body is still one.
  {
    kind: 'script_payload',
    weight: 0.7,
    reason: 'script payload shape (<script>, onerror=, javascript:)',
    test: (t) => payloadStated(t),
  },
  {
    kind: 'payload_executes',
    weight: 0.3,
    reason: 'content runs or renders in the page',
    test: (t) => PAYLOAD_EXECUTES.test(t.clean) && payloadStated(t),
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
    kind: 'untrusted_destination',
    weight: 0.5,
    reason: 'users can be sent to, or data fetched from, a place someone else controls',
    test: (t) => UNTRUSTED_DESTINATION.test(t.clean),
  },
  {
    kind: 'suppression_attempt',
    weight: 0.5,
    reason: 'the ticket tells the triage to lower or hide it',
    test: (t) => t.suppressionAttempt,
  },
];
