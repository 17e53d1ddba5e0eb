// What kind of ticket the rules provider is looking at. Each category is scored from families of cues (a family counts
// once), read from the folded, steering-free text (ticket-text.ts), in English, Spanish, German, French and
// Portuguese; the highest score wins, ties going to the category that needs more care. Families describe a kind
// ("a question about where a setting lives", "something stopped working"), not one customer's sentence.
import type { ImpactAssessment } from '../impact.ts';
import type { SecurityAssessment } from '../security/index.ts';
import type { TicketText } from '../ticket-text.ts';

export type Category =
  | 'auto_reply'
  | 'spam'
  | 'security'
  | 'outage'
  | 'access'
  | 'performance'
  | 'bug'
  | 'feature'
  | 'billing'
  | 'account_admin'
  | 'howto'
  | 'other'
  | 'unclear';

export interface Classification {
  category: Category;
  /** Bugs that only look wrong (typos, logos, colours, time zones): low, not medium. */
  cosmetic: boolean;
  /** A blocking problem (nothing ships, a gate is open, a deadline): a paying customer's bug becomes high. */
  blocking: boolean;
  /** Disputed or duplicated money (charged twice, refund): medium, not low. */
  moneyDispute: boolean;
  /** A document or preference only support sends or sets (a W-9, an invoice copy, unsubscribing): an answer closes it. */
  paperwork: boolean;
  /** A thank-you that closes the conversation: no reply needed. */
  closing: boolean;
  /** A lost second factor: the requester must be verified before anything is reset. */
  identityCheck: boolean;
  /** An expired invitation: a how-to for the admin, low. */
  invitation: boolean;
}

const AUTO_REPLY =
  /\b(?:out of (?:the )?office|automatic reply|auto-?reply|autoreply|automatic confirmation|on (?:annual |parental |sick |maternity )?leave until|away from (?:the|my) (?:office|desk)|delivery status notification|undeliver(?:able|ed)|mail delivery (?:failed|failure|subsystem)|delivery (?:has )?failed|returned mail|returned to sender|mailer-daemon|mail system at host|(?:message|email) (?:could not|couldn't|wasn't|was not) (?:be )?delivered|address not found|no longer monitored|we (?:have )?received your (?:request|email|message)|do not reply to this (?:message|email)|abwesenheit\w*|nicht im buro|fuera de (?:la )?oficina|respuesta automatica|absent du bureau|reponse automatique|fora do escritorio|resposta automatica)\b/;

const SPAM_FAMILIES: RegExp[] = [
  /\b(?:seo|backlinks?|do-?follow|guest post|rank(?:ing)? (?:#?1|first)|page 1)\b/,
  /\b(?:crypto\w*|bitcoin|usdt|trading bot|win rate|recovery (?:services|agents)|lottery|gift card|you(?:'ve| have) (?:won|been selected)|claim (?:your|before))\b/,
  /\b(?:verified (?:\w+ )*(?:emails?|contacts?|lists?)|contact list|lead (?:lists?|generation)|outbound campaigns?)\b/,
  /\b(?:\$\d+ ?\/ ?(?:hour|hr)|team of \d+ (?:developers|experts)|schedule a (?:quick )?call|whatsapp us|limited (?:time|slots)|\d+% off|no upfront fees?|guaranteed)\b/,
];

// Families of the other categories: [pattern, weight].
type Families = [RegExp, number][];

const SECOND_FACTOR_TROUBLE =
  /\b(?:lost|lose|perdi|perdido|verloren|perdu) (?:my |the |el |meu |mein |o |a |mon |ma |le |la |mi |das |den )?(?:phone|device|movil|celular|telemovel|handy|telephone|authenticator)\b|(?:2fa|mfa|two-factor|doble factor|authenticator)\b[^.\n]{0,60}\b(?:reset|lost|rejected|codes?)|codes? (?:are |is )?rejected|backup codes|codigos de respaldo/;
// The second factor itself is gone (lost, broken, stolen, no recovery codes): the requester must be verified first.
const LOST_SECOND_FACTOR =
  /\b(?:(?:lost|lose|perdi|perdido|verloren|perdu|broke|broken|stolen|quebrou|roubad[oa]|robad[oa]|gestohlen|kaputt|vole) (?:my |the |el |meu |mein |o |a |mon |ma |le |la |mi |das |den )?(?:phone|device|movil|celular|telemovel|handy|telephone|authenticator)|(?:phone|device|movil|celular|telemovel|handy|telephone) (?:\w+ )?(?:broke|is broken|was stolen|quebrou|foi roubado|se rompio|ist kaputt)|(?:no|without|lost|sin|sem|ohne|sans|nao guardei|no guarde|(?:don'?t|do not|didn'?t) (?:have|keep|save))(?: \w+){0,2} (?:backup|recovery|recuperacion|recuperacao|wiederherstellungs|recuperation) ?codes?|(?:os |los |die |les )?(?:codigos|codes) de (?:recuperacao|recuperacion|recuperation|respaldo)|reset (?:my |our |the )?(?:2fa|mfa|two-factor|authenticator))\b/;
// An invitation link that expired: the admin sends a new one.
const INVITE_EXPIRED =
  /\b(?:invit\w+ (?:\w+ )?(?:expired|says expired)|expired invit\w+|invitation (?:a |est )?expire\w*|invitacion (?:ha )?(?:caducado|expirado)|enlace de invitacion (?:ha )?caducado|einladung(?:slink)? (?:ist )?abgelaufen|convite (?:expirou|expirado|venceu))\b/;
const ACCESS: Families = [
  [
    // One word-bounded group: "locked" inside "blocked" is not a lockout.
    /\b(?:(?:can(?:no|')?t|cannot|unable to|not able to) (?:log ?in|sign ?in|get in|access my account)|locked out|(?:account|user|login|i am|i'm|we are|we're) (?:is |was |got |been |has been )?locked|lockout|bloquead[oa]|gesperrt|bloquee?|no puedo (?:entrar|acceder)|nao consigo (?:entrar|acessar)|kann mich nicht anmelden|impossible de me connecter)\b/,
    2,
  ],
  [SECOND_FACTOR_TROUBLE, 2],
  [LOST_SECOND_FACTOR, 2],
  [INVITE_EXPIRED, 2],
  [
    /\b(?:redirect(?:s|ed)? loop|sso loop|(?:login|sign-?in|redirect) loop|infinite (?:loop|redirects?)|endless(?:ly)? (?:loop|redirects?)|bounc\w+ (?:me )?(?:back|between)|(?:sends?|takes?|redirects?|throws?) (?:me|us) (?:straight )?back to the (?:login|sign-?in)|back (?:to|on) the (?:login|sign-?in) (?:page|screen)|audience mismatch|saml login fails|bucle|redireccion infinita|schleife|endlos\w*|boucle|redirection infinie|ciclo infinito|loop de (?:login|redirecionamento))\b/,
    2,
  ],
  [
    /\breset (?:email|mail|link)s? (?:never arrives?|doesn't arrive|does not arrive)|nothing arrives\b|\bsuspended\b/,
    2,
  ],
];

const PERFORMANCE: Families = [
  [
    /\b(?:slow(?:er|ly|ness)?|sluggish|takes? (?:\d+|ages|forever)|took \d+|\d+\+? ?(?:min(?:ute)?s?|hours?|h|seconds?|s) (?:to load|per|instead)|times? out|timing out|timed out|stuck at|hung|hangs|\d+ to \d+ hours|dauert ewig|langsam|lento|lenta|demora|lent(?:e)?)\b/,
    2,
  ],
];
// Only adds to a slowness cue: "instead of" alone is how bug reports talk too.
const SLOWER_THAN_BEFORE = /\b(?:used to take|it was|in \w+ it was|instead of|vorher|antes|avant)\b/;

const DEFECT: Families = [
  [
    /\b(?:bug|broken|crash(?:es|ed|ing)?|not working|doesn'?t work|does not work|stopped working|does nothing|nothing happens|fails?|failed|failing|error|exception|stack ?trace|glitch|freez(?:es|ing)|regression)\b/,
    1,
  ],
  [
    /\b(?:wrong|incorrect|missing|empty|blank|cut off|duplicates?|twice|\d+ times|three times|ignored?|ignores|skipped|invisible|unreadable|literally|instead of|even though|greyed out|grayed out|still shows|shift(?:s|ed)?|reset(?:s)? (?:every|when)|garbled|weird characters|caracteres? (?:raros|bizarres)|bizarres|disappear\w*)\b|≠/,
    1,
  ],
  [
    /\b(?:worked (?:on|in|before|until)|since (?:the |last |our )?(?:update|upgrade|release|week|tuesday|monday|yesterday)|desde (?:ayer|la semana)|seit (?:dem|gestern)|depuis (?:hier|la)|no funciona|funktioniert nicht|ne fonctionne pas|nao funciona|nao (?:recebemos|chegam)|en blanco|falla|fehler|erreur|erro)\b/,
    1,
  ],
  [/\b(?:steps:|steps to reproduce|reproduc\w+|pasos:|schritte:)\b/, 1],
  // What a careful report walks through: what was tried, what was expected, the workaround meanwhile.
  [
    /\b(?:(?:things |what )?we(?:'ve| have)? tried|expected (?:behaviou?r|result)|what (?:we|i)(?:'d| would)? expect(?:ed)?|actual (?:behaviou?r|result)|workaround|no change|hemos probado|wir haben (?:\w+ )?(?:versucht|probiert)|nous avons essaye|tentamos|solucion temporal|workaround)\b/,
    1,
  ],
  // Asking for a fix is how a defect report ends in any language.
  [
    /\b(?:please fix|can you fix|(?:podem|pueden|puede|podrian) (?:corrigir|corregir|arreglar)|bitte (?:beheben|korrigieren)|pouvez-vous corriger|merci de corriger)\b/,
    1,
  ],
  [/\b(?:typo|misspel\w*|spelling)\b/, 2],
  // Still wrong after the obvious tries: "still greyed out after the upgrade, logged out and back in, cleared cache".
  [
    /\b(?:still (?:greyed out|grayed out|locked|disabled|broken|failing|not working)|cleared (?:the |my )?cache|logged out and (?:back )?in|tried (?:another|a different) browser)\b/,
    1,
  ],
  // A value shown wrongly: "one day earlier than the UI", "shows Monday's scans as if they were Sunday's".
  [
    /\b(?:(?:one|a|an|\d+) (?:day|hour|minute)s? (?:early|earlier|late|later|off|ahead|behind)|in the future|(?:shows?|says|displays|mostra|muestra|zeigt|affiche)\b[^.\n]{0,60}\b(?:as if|como se|als ob|comme si))\b/,
    1,
  ],
  // Two numbers for one thing: "the tile says 12, the list shows 9".
  [/\b(?:says|shows|displays) \d+\b[^.\n]{0,80}\b(?:shows?|says|lists?|displays|has) \d+\b/, 1],
  [
    /\b(?:ignoriert|trotzdem|falsch|fehlt|funktioniert nicht|incorrect[oa]|no aparece|funciona mal|ne marche pas|n'apparait pas|errad[oa]|nao aparece|kaputt|roto|cassee?s?|quebrad[oa]|ignorad[oa]s?|ignore(?:e|s)?|sigue mostrando|continua mostrando|zeigt (?:trotzdem|weiterhin|immer noch)|affiche (?:quand meme|toujours)|desaparece|sumiu|verschwindet|disparait|no se aplica|nao (?:e|foi) aplicad[oa]|wird nicht (?:angewendet|ubernommen)|n'est pas applique\w*|falla|fehlerhaft|defeituos[oa]|errone[oa])\b/,
    1,
  ],
];
// A timestamp in UTC is how logs are written, not a display problem: only a time zone shown wrongly is cosmetic.
const COSMETIC =
  /\b(?:typo|logo|colou?rs?|dark mode|font|label(?:s)?|alignment|markdown|formatting|time ?zone|(?:shows?|shown|displayed|in) utc (?:instead|rather)|minor|fyi|cosmetic|annoying|accents?|(?:character|text|utf-?8|charset) encoding|encoding (?:issue|problem|bug|error)|mojibake)\b/;
const LEFT_OUT =
  /\b(?:omit(?:s|ted|ting)?|drops? (?:a |the )?(?:(?:last|first) )?(?:day|rows?|records?|findings?|entries|results)|\d+ (?:are |were )?missing|missing (?:rows|records|findings|entries|items|results)|left out|excluded?|(?:are|is|go(?:es)?) missing|falta(?:n)? (?:datos|registros|filas)|fehlen (?:daten|eintrage|zeilen)|manque(?:nt)? (?:des )?(?:donnees|lignes)|faltam (?:dados|registros|linhas))\b/;
const WRONG_IN_DATA =
  /\b(?:in the (?:csv|export|api response|json|report file)|(?:csv|export|api) (?:shows?|has|returns?|says|contains?))\b/;
const PAPERWORK =
  /\b(?:w-?9|w-?8ben\w*|resend (?:the |our |us )?(?:\w+ )?(?:invoice|receipt)|(?:a )?copy of (?:the |our )?(?:\w+ )?(?:invoice|receipt)|receipts?|tax (?:form|certificate)|unsubscribe|stop sending|newsletter|mailing preferences)\b/;
const BLOCKING =
  /(?<!(?:not|isn't|aren't|never|no longer|nicht|no|pas|nao) )\b(?:blocks?|blocking|blocked|merge gate|lets everything through|silently stops|can't ship|cannot ship|production|audit (?:meeting|tomorrow)|deadline|bloquea|blockiert|bloque)\b/;

const FEATURE: Families = [
  [
    /\b(?:feature request|would be (?:great|nice|helpful|awesome|lovely|useful|much nicer)|would (?:help|love)|would like (?:to see|the ability|an option|a way)|it would help if|(?:could|can) you (?:please )?add|please add|add (?:an? )?(?:option|setting|export|support)|suggest(?:ion)?|i'?d love|we'?d love|would love|wish(?:list)?|roadmap|any plans|on the roadmap|is (?:that|it|this) planned|(?:could|can) it be configurable|consider (?:this|it) (?:a|as a) (?:feature )?request|would make\b|feature idea|idea for a feature|sugerencia|seria (?:muy )?(?:genial|otimo|util|bueno|estupendo|legal|bom)|(?:me|nos) gustaria (?:que|poder|tener)|gostariamos (?:que|de poder|de ter)|sugestao|ware (?:sehr |echt )?(?:toll|schon|super|praktisch|hilfreich|nutzlich|gut)|wir wunschen uns|vorschlag|ce serait|est-ce prevu|serait (?:tres )?(?:pratique|utile)|nous aimerions|j'aimerais)\b/,
    2,
  ],
  [
    /\b(?:(?:not|won't|will not) renew\w*|unless\b[^.\n]{0,80}\b(?:renew\w*|vendor|move|moving|walk)|moving to another vendor|or we walk|difficil renovar|dificil renovar|sem isso)\b/,
    2,
  ],
  [/\b(?:native|integration with|support for|a (?:\w+ )?provider for|api for)\b/, 1],
];

const BILLING: Families = [
  [
    // (?<!/): "GET /invoices/{id}" names the customer's own endpoint, not a bill.
    /(?<!\/)\b(?:invoices?|refunds?|charged?|charges|billing|billed|service credits?|payments?|subscription|receipts?|credit card|card (?:expired|on file)|pricing|quote|discount|seats?|w-9|w9|vat|tax id|po (?:number|#)|purchase order|downgrade|upgrade to|annual|prorated|factura|rechnung|facture|fatura|boleto|segunda via|ust-idnr|cif|nif|tva|cartao|tarjeta|kreditkarte|carte bancaire|abonnement|suscripcion|assinatura)\b/,
    2,
  ],
  [/\b(?:cancel (?:our|my|the)? ?(?:\w+ )?(?:plan|subscription|account)|reissue|resend invoice)\b/, 1],
];
const MONEY_DISPUTE =
  /\b(?:charged twice|double[- ]charged|overcharged|two identical transactions|refund (?:one|the)|service credits?|sla credits?|credits? (?:owed|due))\b/;
// Money asked for because of downtime: a contract claim for billing, not a live outage for engineering.
const LIVE_OUTAGE =
  /\b(?:since (?:\d{1,2}[:.h]\d{2}|\d{1,2} ?(?:am|pm)|this morning|today|earlier today)|right now|at the moment|currently (?:down|failing|unavailable|broken)|(?:is|are) still (?:down|failing|broken|unavailable)|desde (?:las \d|esta manana|hoy)|seit (?:\d{1,2}[:.]\d{2}|heute)|depuis (?:\d{1,2}h|ce matin)|desde (?:as \d|hoje|esta manha))\b/;
const DOWNTIME_CLAIM =
  /\b(?:service credits?|sla credits?|credits? (?:owed|due)|sla (?:breach|violation)|uptime (?:commitment|guarantee)|gutschrift\w*|sla-verletzung|creditos? de servicio|incumplimiento del sla|avoirs?|penalites? sla|violation du sla|creditos? de servico|descumprimento do sla)\b/;

const ACCOUNT_ADMIN: Families = [
  // What only the vendor can do (ownership, merging, deleting an organisation) outweighs a how-to phrase: even asked
  // as "how do we start?", someone has to act.
  [
    /\b(?:owner (?:email|role|account)|transfer (?:the )?ownership|hand (?:the )?owner|merge (?:(?:two|the|our|both|these|their) ){0,2}orgs?|delete (?:our|my|the) (?:organi[sz]ation|org|account|data))\b/,
    3,
  ],
  [
    /\b(?:rename|org(?:anisation|anization)? name|unsubscribe|newsletter|marketing emails?|mailing (?:list|preferences)|stop (?:the|sending) (?:product )?(?:newsletter|emails))\b/,
    2,
  ],
];

const HOWTO: Families = [
  [
    /\b(?:how (?:do|can|should|would|does|did|is|are) (?:i|we|you|one|the|it|this|that|your)|how to|how (?:many|much|long)|where (?:do|can|is|are|should) (?:i|we|you|the|it)|where is|is (?:it|there) (?:possible|a way|an? \w+)|what(?:'s| is) the (?:best|right|actual|correct|recommended) (?:way|syntax|difference|procedure)|what happens (?:to|if|when)|which (?:\w+ )?(?:do you|should|ip|claim|role|variables?|plan)|can (?:the|your|i|we|they|he|she|our|an?|users?|members?|admins?|owners?|one|someone) [^.\n?]{0,120}\w(?=\?)|(?:i'?d|we'?d|would) like to know|(?:need|want) to know|which of (?:these|them|the)|steps,? (?:pls|please)|(?:necesito|necesitamos|preciso|precisamos) saber|(?:besoin de|voudrais) savoir|(?:mussen|muss|mochte) wissen|wondering (?:if|whether|how)|(?:me gustaria|quisiera|queria|quiero|quisieramos) saber|se puede|hay que|(?:ich mochte|wir mochten|ich wusste gern) wissen|(?:je voudrais|j'aimerais|nous aimerions|nous voudrions) savoir|(?:gostaria|gostariamos|queria|queremos) (?:de )?saber|does (?:the|your|it) [^.\n?]{0,80}\w(?=\?)|do you (?:support|have|keep|send|offer)|looking for (?:the place|a way|docs)|need (?:the )?steps|docs? link|documentation|is that a switch|como (?:puedo|configuramos|configuro|hago|faco|posso|obtener|exportar)|donde|onde|qual (?:o|a)|wie (?:stelle|kann|konnen|richte)|wo (?:stelle|finde|kann)|welche[rsnm]?|gibt es|comment (?:obtenir|faire|configurer)|ou (?:trouver|est)|existe-t-il|quelles?|preciso dos passos|necesito)\b/,
    2,
  ],
  [/\?/, 1],
];

// "thx, works now!": a closing reply, nothing left to do.
const THANKS = /\b(?:thx|thanks|thank you|merci|danke|gracias|obrigad[oa])\b/;
const RESOLVED =
  /\b(?:that did it|works now|working (?:again|now)|running again|(?:is |it'?s |all |now )fixed|fixed now|(?:is |now )resolved|resolved now|all sorted|sorted now|all good|funktioniert (?:jetzt|wieder)|ca marche|funciona (?:ya|agora|de novo))\b/;
const closingNote = (t: string) => t.length < 400 && THANKS.test(t) && RESOLVED.test(t);
const OTHER: Families = [
  [/\b(?:that did it|works now|working (?:again|now)|running again|fixed now|resolved now|all sorted)\b/, 3],
  // Notices that need only an acknowledgement: a customer's own scheduled pen test, an FYI.
  [
    /\b(?:(?:scheduled|authori[sz]ed|upcoming|planned|external) (?:pen(?:etration)? ?tests?|pentests?)|heads-?up|for your information)\b/,
    2,
  ],
  [
    /\b(?:thank(?:s| you)[^.\n]{0,40}(?:close (?:this|it)|all good|quick help)|just wanted to say|all good now|apply for|cv attached|resume attached|reseller?|resell|partner(?:ship)? agreement|partnership|soc ?2|questionnaire|vendor (?:risk|review)|dpa\b|under nda)\b/,
    2,
  ],
  // Invitations to sponsor, speak or attend: a polite low-priority reply, whatever product words they borrow.
  [
    /\b(?:sponsor\w*|hackathon|meetup|conference|webinar invitation|speaking slot|call for (?:papers|speakers)|patrocin\w*|konferenz|veranstaltung|parrainage|conferencia|evento)\b/,
    3,
  ],
];

// What a report needs to name to be actionable: a part of the product.
const PRODUCT_OBJECT =
  /\b(?:page|dashboard|export|report|scans?|api|endpoint|button|settings?|emails?|pdf|csv|login|integration|filter|list|targets?|findings?|webhooks?|cli|app|invoice|chart|upload|import|notifications?|search|schedule|pagina|seite|rapport|relatorio|informe|bericht)\b/;

function score(text: string, families: Families): number {
  return families.reduce((sum, [pattern, weight]) => sum + (pattern.test(text) ? weight : 0), 0);
}

// Ties go to the earlier entry: the category whose miss costs more.
const RANKED: Category[] = ['access', 'performance', 'bug', 'howto', 'feature', 'account_admin', 'billing', 'other'];

export function classifyTicket(
  text: TicketText,
  security: SecurityAssessment,
  impact: ImpactAssessment,
): Classification {
  const t = text.clean;
  const moneyDispute = MONEY_DISPUTE.test(t);
  const base = {
    cosmetic: false,
    blocking: BLOCKING.test(t),
    moneyDispute,
    paperwork: !moneyDispute && PAPERWORK.test(t),
    closing: false,
    identityCheck: false,
    invitation: false,
  };
  // Order matters: an auto-reply quoting "security" or "down" is still an auto-reply; security beats everything else.
  if (AUTO_REPLY.test(t)) return { ...base, category: 'auto_reply' };
  if (security.escalate) return { ...base, category: 'security' };
  if (SPAM_FAMILIES.filter((p) => p.test(t)).length >= 1 && !/\b(?:our|my) (?:scan|account|api|invoice)/.test(t)) {
    return { ...base, category: 'spam' };
  }
  // "Thanks, all fixed now": closes the conversation, unless it goes on to report something still wrong.
  // A reply's subject ("Re: import failing") names the old problem, not a new one.
  if (closingNote(t) && score(t.replace(/^(?:re|aw|fw|fwd|tr|rv):[^\n]*\n/, ''), DEFECT) === 0) {
    return { ...base, category: 'other', closing: true };
  }
  const access = score(t, ACCESS);
  // A past outage named to claim credits is billing; one still going on ("since 07:40 this morning nobody can sign in",
  // credits asked for on the side) is an outage.
  if (impact.outage && DOWNTIME_CLAIM.test(t) && !LIVE_OUTAGE.test(t)) {
    return { ...base, category: 'billing', moneyDispute: true };
  }
  if (impact.outage || (access > 0 && impact.wide)) return { ...base, category: 'outage' };

  const scores: Record<string, number> = {
    access,
    performance: score(t, PERFORMANCE) > 0 ? score(t, PERFORMANCE) + (SLOWER_THAN_BEFORE.test(t) ? 1 : 0) : 0,
    bug: score(t, DEFECT),
    feature: score(t, FEATURE),
    account_admin: score(t, ACCOUNT_ADMIN),
    billing: score(t, BILLING),
    other: score(t, OTHER),
    // A question counts once: an explicit how-to phrase (2) or only a question mark (1).
    howto: Math.min(2, score(t, HOWTO)),
  };
  // A question about how to do something, with at most a passing complaint, is a how-to.
  if (scores.howto !== undefined && scores.howto >= 2 && (scores.bug ?? 0) <= 1) scores.bug = 0;
  let best: Category = 'unclear';
  let bestScore = 0;
  for (const category of RANKED) {
    const s = scores[category] ?? 0;
    if (s > bestScore) {
      best = category;
      bestScore = s;
    }
  }
  // "it's broken again", "not working": nothing to act on without the customer telling more.
  if (best === 'bug' && bestScore <= 2 && t.length < 80 && !PRODUCT_OBJECT.test(t)) best = 'unclear';
  // A bare "?" or "any update?" is not a question anyone can answer.
  if (best === 'howto' && bestScore < 2 && t.replace(/\s+/g, ' ').trim().length < 40) best = 'unclear';
  // A blocking problem is never only cosmetic.
  // A time zone or label that makes data go missing is a functional bug, not a cosmetic one.
  // Wrong values in exported or API data (a time zone in the CSV) are as functional as missing ones.
  const losesData = LEFT_OUT.test(t) || WRONG_IN_DATA.test(t);
  return {
    ...base,
    category: best,
    cosmetic: best === 'bug' && !base.blocking && !losesData && COSMETIC.test(t),
    closing: best === 'other' && closingNote(t),
    identityCheck: best === 'access' && LOST_SECOND_FACTOR.test(t),
    invitation: best === 'access' && INVITE_EXPIRED.test(t),
  };
}
