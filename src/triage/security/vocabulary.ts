// The word families of the security net, written per language (en, es, de, fr, pt) so that a family is as thick in
// every language as in English: each entry is a regular-expression source over folded text (lower-case, no accents,
// ß as ss), with its inflections (plural, gender, tense) written as stems. A family describes a kind of statement
// ("another company's data", "still works after being revoked"), never one ticket's sentence.

export type Lang = 'en' | 'es' | 'de' | 'fr' | 'pt';
export type Vocabulary = Record<Lang, string[]>;

/** One alternation over every language's entries, bounded like words (an entry may start with a dot: `.env`). */
export function wordsOf(vocabulary: Vocabulary): RegExp {
  return new RegExp(`(?<!\\w)(?:${Object.values(vocabulary).flat().join('|')})(?!\\w)`);
}

// Sentences are the unit a fact is stated in: a cue and its counterpart must meet in one, not across a ticket.
export function sentencesOf(text: string): string[] {
  // Not after an abbreviation: "i.e. user A reading user B's orders" belongs to the question before it.
  return text
    .split(
      /(?<!\b(?:i\.e|e\.g|vs|etc|cf|z\.b|d\.h|p\.ex|p\.ej|approx|incl|bzw|usw|ggf|evtl|inkl|vgl)\.)(?<=[.!?])\s+|\n+/,
    )
    .filter((s) => s.trim().length > 0);
}

/** "How do I…?", "Can a viewer…?", "¿Se puede…?": a hypothetical question reports no fact. */
export const HOWTO_QUESTION = new RegExp(
  `^\\W*(?:${[
    'how',
    'can',
    'could',
    'is (?:it|there)',
    'are there',
    'do(?:es)? (?:you|the|your|it)',
    'should',
    'would',
    'what',
    'where',
    'which',
    'wie',
    'kann',
    'konnen',
    'gibt es',
    'ist es',
    'sollte',
    'como',
    'se puede',
    'puedo',
    'podemos',
    'puede',
    'es posible',
    'hay',
    'comment',
    'peut-on',
    'puis-je',
    'pouvons-nous',
    'est-ce',
    'est-il possible',
    'posso',
    'pode',
    'e possivel',
    'existe',
  ].join(
    '|',
  )})\\b[^?]*\\?\\s*$|^[^?]*\\b(?:how (?:do|can|should|would) (?:i|we)|is it possible|ist es moglich|wie (?:kann|konnen|geht)|(?:es|e) posible|e possivel|est-il possible|comment (?:faire|puis|peut|pouvons)|como (?:puedo|podemos|posso|podemos|fazer|hago|faco))\\b[^?]*\\?\\s*$`,
);

/** The customer's own intent to share with someone ("we want to send the report to another company"). */
export const SHARING_INTENT = wordsOf({
  en: ['(?:want|would like|need|wish|plan|trying) to (?:share|send|invite|give|forward)'],
  es: ['(?:queremos|quiero|necesitamos|quisieramos) (?:compartir|enviar|invitar|dar)'],
  de: ['(?:wir mochten|wir wollen|ich mochte|ich will)(?: \\w+){0,6} (?:teilen|senden|schicken|einladen|weitergeben)'],
  fr: ['(?:nous voulons|nous souhaitons|je veux|je souhaite|nous aimerions) (?:partager|envoyer|inviter|donner)'],
  pt: ['(?:queremos|quero|precisamos|gostariamos de) (?:compartilhar|enviar|convidar|dar)'],
});

/** Who or what holds access: a removal only matters for a person, a key, a session or an invite. */
export const ACCESS_HOLDER = wordsOf({
  en: [
    'users?|members?|employees?|contractors?|vendors?|accounts?|access|sessions?|invites?|invitations?|logins?|roles?|seats?|workspace|team|org|organi[sz]ation|logged in|signed in',
  ],
  es: [
    'usuari[oa]s?|miembros?|emplead[oa]s?|contratistas?|proveedor(?:es)?|cuentas?|acceso|sesion(?:es)?|invitacion(?:es)?|espacio de trabajo|equipo|organizacion',
  ],
  de: [
    'benutzer\\w*|nutzer\\w*|mitglied\\w*|mitarbeiter\\w*|dienstleister\\w*|kont(?:o|en)|zugang\\w*|zugriff|sitzung\\w*|einladung\\w*|arbeitsbereich|team|organisation|angemeldet|eingeloggt',
  ],
  fr: [
    'utilisateurs?|membres?|employes?|salaries?|prestataires?|comptes?|acces|sessions?|invitations?|espace de travail|equipe|organisation|connecte\\w*',
  ],
  pt: [
    'usuari[oa]s?|membros?|funcionari[oa]s?|colaborador(?:es|as?)?|fornecedor(?:es)?|contas?|acesso|sess(?:ao|oes)|convites?|espaco de trabalho|equipe|organizacao|logad[oa]s?',
  ],
});

/** Negation words in the five languages: "can not delete", "ne peut pas", "kann nicht", "não consegue". */
export const NEGATION = /\b(?:not|no|never|cannot|can't|nao|nunca|nicht|kein\w*|nie|ne|n'|pas|jamais)\b/;

// --- Another party: a customer, company, organisation or person that is not the reporter.
export const FOREIGN_OWNER = wordsOf({
  en: [
    "(?:an?other|other|a different) (?:customer|client|company|compan(?:y|ies)|org|organi[sz]ation|tenant|user|account|workspace|business)(?:'s|s'|s)?(?! (?:plan|tier|vendor|tool))",
    "some(?:one|body) else'?s?",
    'never heard of',
    'shared between (?:customers|tenants|accounts|orgs)',
    'belongs? to (?:some |an)?other',
    "\\w+ (?:that )?we (?:do not|don't|didn't|did not) own",
    "(?:not|isn't|is not|aren't|are not|wasn't|was not) (?:our|my) (?:organi[sz]ation|company|org|data|report|tenant|customer|account|workspace|target|project|scan|finding|dashboard|api)s?",
    "(?:does|do|did)(?: not|n't) (?:concern|belong to|relate to|refer to) (?:us|me|our (?:\\w+ )?(?:firm|company|organi[sz]ation|org|business|team|account))",
    "(?:that|this|the other) (?:organi[sz]ation|company|firm|customer|tenant|business)'s",
    "(?:we|i) (?:don'?t|do not) know (?:this|that|the|these) (?:company|companies|customer|org\\w*|tenant)",
    '(?:of|from|for) (?:a |an |another |some )?(?:company|org\\w*|customer|business|something|someone|somebody|tenant|outfit) (?:called|named)',
    'which is not us',
    'not for us',
    'not ours',
    "(?:aren't|isn't|wasn't|weren't) ours",
    'foreign (?:rows|data|records|entries|projects|findings|hosts|results)',
    // "two more orgs' projects", "three other companies' findings": counted strangers and what of theirs was seen.
    "(?:two|three|four|five|several|\\d+) (?:more |other )?(?:orgs?|organi[sz]ations?|compan(?:y|ies)|customers?|tenants?)(?:'s|s'|')? (?:projects?|data|findings|reports?|scans?|targets?|dashboards?|hostnames?)",
    '(?:we|i) (?:have|had) nothing to do with',
    "(?:we|i) (?:have )?never owned|(?:we are|we're) not (?!the only|sure|able|aware|using|seeing)\\w+(?: (?:ltd|inc|gmbh|llc|sa|corp))?(?= and| or|[.,;])|(?:have|has) no (?:relationship|connection|affiliation|business) with",
    'unrelated (?:company|customer|org\\w*|tenant)',
    'strangers?',
  ],
  es: [
    '(?:otr[ao]s?|distint[ao]s?) (?:empresas?|compan[i]as?|clientes?|organizacion(?:es)?|cuentas?|usuarios?|sociedad(?:es)?|inquilinos?)',
    'no (?:es|son) (?:(?:la|el|las|los) )?(?:nuestr[ao]s?|mi[ao]s?)',
    'no nos pertenecen?',
    'no tenemos nada que ver',
    'no (?:nos )?(?:corresponde|pertenece|concierne) (?:a )?(?:nuestra|nosotros)',
    'ajen[ao]s',
  ],
  de: [
    '(?:anderen?|anderer|anderes|fremde[nmrs]?) (?:kunden?|firm(?:a|en)|unternehmens?|organisation(?:en)?|mandanten?|kontos?|konten|nutzers?|benutzers?)',
    'fremde\\w* daten',
    'gehor\\w* (?:nicht uns|uns nicht|jemand anderem|einem anderen)',
    'nicht (?:unser(?:e|er)?) (?:daten|bericht|firma|organisation|konto)',
    'haben (?:gar )?nichts (?:mit|damit) zu tun',
    'betrifft (?:gar )?nicht (?:uns|unsere)',
  ],
  fr: [
    '(?:une? )?autres? (?:clients?|entreprises?|societes?|organisations?|comptes?|utilisateurs?)',
    '(?:ne )?(?:sont|est) pas (?:a nous|les notres|le notre|la notre)',
    "n'avons rien a voir",
    'ne nous appartien\\w*',
    'ne (?:nous )?concerne (?:pas|absolument pas) (?:du tout )?(?:notre|nous)',
  ],
  pt: [
    'outr[ao]s? (?:empresas?|clientes?|organizac(?:ao|oes)|contas?|usuarios?)',
    'nao (?:e|sao) (?:noss[ao]s?|meu|minha)',
    'nao nos pertenc\\w*',
    'nao temos nada a ver',
    'nao (?:e|pertence|diz respeito) (?:da|a|à) nossa',
    'alhei[ao]s',
  ],
});

// Seeing, receiving or holding data.
export const DATA_OR_VIEW = wordsOf({
  en: [
    'sees?|saw|seeing|seen|shows?|dashboards?|targets?|projects?|showed|shown|returns?|returned|got|get|gets|appears?|appeared|lists?|listed',
    'contains?|includes?|opens?|opened|visible|view|rows?|records?|data|results?|findings|reports?|scans?',
    'hostnames?|emails?|summary|received|receive|sent (?:us|me)|attached|attachment|pdf|files?|names?',
  ],
  es: [
    've(?:o|mos|n)?|vimos|ver|aparec\\w+|muestr\\w+|mostr\\w+|recib\\w+|lleg\\w+|contien\\w+|inclu\\w+',
    'datos|resultados|informes?|reportes?|escaneos?|hallazgos|listas?|archivos?|adjunto|correos?',
  ],
  de: [
    'seh\\w*|sah\\w*|gesehen|angezeigt|zeig\\w*|erschein\\w*|erhalten|bekommen|empfangen|enthalt\\w*',
    'daten|ergebnisse|bericht\\w*|scans?|liste\\w*|datei\\w*|anhang|e-?mails?',
  ],
  fr: [
    'voi[rst]|voyons|vu|affich\\w+|apparai\\w+|apparu\\w*|recu\\w*|recevons|contien\\w+|donnees|resultats',
    'rapports?|scans?|listes?|fichiers?|piece jointe|courriels?|e-?mails?|pdf',
  ],
  pt: [
    've(?:r|mos|jo)|vimos|aparec\\w+|mostr\\w+|receb\\w+|cheg\\w+|contem|dados|resultados|relatorios?',
    'scans?|listas?|arquivos?|anexo|e-?mails?',
  ],
});

// --- Something taken away: a user, key, session or invite removed, revoked, disabled or gone.
export const REMOVED = wordsOf({
  en: [
    'removed|deleted|deprovisioned|offboarded|revoked|deactivated|disabled|rotated|terminated|fired',
    'left (?:the company|us|the team)|ex-employee|former (?:employee|contractor|colleague|member|vendor|supplier)',
    'no longer (?:works? (?:here|for us|with us)|with (?:us|the company)|employed)|shut down',
    // Sessions ended on purpose: "clicked Sign out of all sessions", "logged out everywhere".
    'sign(?:ed|ing)? out (?:of )?(?:all|every|other) (?:sessions?|devices?)|(?:signed|logged) out (?:everywhere|of all)|sign out everywhere',
    '(?:ended|terminated|killed|revoked|invalidated) (?:all )?(?:the |my |her |his |our |their )?(?:other )?sessions?',
  ],
  es: [
    'revoc\\w+|elimin\\w+|borr\\w+|desactiv\\w+|dad[oa] de baja|dimos de baja|rotad[oa]|rotamos',
    'dejo (?:de trabajar|la empresa)|ya no trabaja|se fue de la empresa|ex-?emplead[oa]|antigu[oa] emplead[oa]',
  ],
  de: [
    'widerruf\\w*|entfernt\\w*|gelosch\\w*|deaktivier\\w*|entzogen|zuruckgezogen|rotiert\\w*',
    'ausgeschieden\\w*|verlassen|ehemalig\\w*|ex-mitarbeiter\\w*',
  ],
  fr: [
    'revoqu\\w*|supprim\\w*|desactiv\\w*|retir\\w*|a quitte|ont quitte',
    'ancien\\w* (?:employe|salarie|collaborat|membre|prestataire|fournisseur)\\w*',
  ],
  pt: [
    'revog\\w*|removid[oa]s?|remov\\w+|exclu\\w+|apagad[oa]s?|deletad[oa]s?|desativ\\w*',
    'saiu da (?:empresa|equipe)|ex-?funcionari\\w*|antig[oa] (?:funcionari|colaborador)\\w*',
  ],
});

// ...and it still works.
export const STILL_WORKS = wordsOf({
  en: [
    "still (?:works?|working|valid|active|logged in|has (?:a working|access)|can(?!['n])|returns?|being used|used|in use|get in|open|(?:being )?accepted|authenticates|receives?|receiving|lets|allows|succeeds|gets|200)",
    '(?:works|worked|working) (?:still|again|today)|returns? 200|keeps? (?:working|being accepted|returning)',
    'continues? to (?:work|return|be (?:valid|active|accepted))|(?:is|are) still (?:valid|active|accepted|working|usable)',
    "hasn't stopped working|never stopped working",
    '(?:= ?|gets? |got |gives? |gave |answers? (?:with )?)(?:an? )?200(?: ok)?',
    'still (?:pull|call|download|export|fetch|read|access|log|sign|us|post|sync|hit|query)\\w*',
    'still (?:shows?|see|sees|seeing|lists?) (?:\\w+ ){0,3}?(?:calls|requests|logins|sign-ins|activity|usage|scans)',
    "(?:wasn't|was not|isn't|is not|never|not actually) (?:really )?revoked|(?:doesn't|does not|didn't|did not) (?:actually )?revoke",
    'still (?:sees?|seeing|views?|opens?|gets?) (?:\\w+ ){0,3}?(?:reports?|data|findings|dashboards?|projects?|scans?|results|emails?)',
  ],
  es: [
    'sigue(?:n)? (?:funcionando|devolviendo|respondiendo|aceptando\\w*|entrando|accediendo|activ[oa]s?|valid[oa]s?|vigentes?)',
    'continua(?:n)? (?:funcionando|devolviendo|respondiendo|activ[oa]s?|valid[oa]s?)',
    '(?:todavia|aun) (?:\\w+ ){0,2}?(?:funciona|sirve|puede|tiene acceso|devuelve|responde|entra|activ[oa]|valid[oa])',
    '(?:devuelve|devolviendo|responde) 200',
    '(?:todavia|aun) (?:\\w+ ){0,2}?(?:ve|ven|abre|descarga|usa|recibe)',
  ],
  de: [
    '(?:immer noch|noch immer|weiterhin|nach wie vor|heute noch|noch) (?:\\w+ ){0,3}?(?:funktionier\\w*|gultig|aktiv|moglich|zugreifen|einloggen|anmelden|benutzbar|nutzbar|200)',
    'funktionier\\w* (?:\\w+ ){0,2}?(?:immer noch|noch|weiterhin)|(?:klappt|geht) (?:immer )?noch|noch (?:aktiv|gultig)',
    'liefert (?:\\w+ )?200',
    '(?:sieht|sehen|offnet|bekommt) (?:\\w+ ){0,2}?(?:immer noch|noch immer|weiterhin)',
  ],
  fr: [
    '(?:fonctionne|marche|repond|renvoie|retourne|accepte)\\w* (?:encore|toujours)',
    '(?:est|reste|sont|restent) (?:encore |toujours )?(?:valide|active?)s?(?= encore| toujours)',
    '(?:encore|toujours) (?:valide|active?|fonctionnel\\w*|utilisable|accessible|connecte\\w*)',
    'continue (?:de|a) (?:fonctionner|marcher|repondre|renvoyer)|peu(?:t|vent) (?:encore|toujours)|a (?:encore|toujours) acces',
    'renvoie (?:\\w+ )?200',
    '(?:voit|voient|ouvre|recoit) (?:encore|toujours)',
  ],
  pt: [
    'ainda (?:\\w+ ){0,2}?(?:funciona|ativ[oa]|valid[oa]|consegue|acessa|tem acesso|retorna|responde|entra|pode)',
    'continua(?:m)? (?:funcionando|ativ[oa]s?|valid[oa]s?|a funcionar|retornando|respondendo|acessando|com acesso)',
    'segue (?:funcionando|ativ[oa]|valid[oa])|retorna(?:ndo)? 200',
    'continua(?:m)? (?:fazendo|a fazer|chamando|puxando|baixando|exportando)|ainda (?:faz|chama|puxa|baixa|exporta)',
    'ainda (?:\\w+ ){0,2}?(?:ve|veem|abre|baixa|usa|recebe)',
  ],
});

// --- A restricted role, and an action beyond it.
export const LOW_ROLE = wordsOf({
  en: [
    '(?:can|could) only (?:look|view|read|see)|only (?:allowed|able|meant) to (?:look|view|read|see)|viewers?|read[- ]only|view[- ]only|read scope|scope "?read"?|(?:regular |normal |non-admin )?members?|guests?',
    'non-admins?|auditors?|observers?|limited (?:role|user|account|access|permissions)|restricted (?:role|user|key|token)',
    'basic (?:user|role)|billing[- ]only|only (?:supposed|meant|allowed) to (?:look|view|read|see)',
  ],
  es: [
    'solo (?:de )?lectura|lector(?:es|as?)?|observador(?:es|as?)?|invitad[oa]s?|miembros?|visualizador\\w*',
    'rol (?:de )?(?:lectura|visualizacion|basico|limitado)|permisos? (?:limitados|de lectura)|sin permisos?',
  ],
  de: [
    'nur[- ]?les\\w*|lesezugriff|leserechte?n?|leserolle|betrachter\\w*|gast\\w*|mitglied\\w*|leser\\w*',
    'eingeschrankt\\w*|ohne (?:admin\\w*|rechte|berechtigung\\w*)',
  ],
  fr: [
    'lecture seule|en lecture|lecteurs?|lectrices?|observateur\\w*|invite(?:e|s|es)?|membres?',
    'role (?:de )?(?:lecture|consultation)|consultation seule|droits (?:limites|restreints)|sans droits?',
  ],
  pt: [
    'somente leitura|apenas leitura|so (?:de )?leitura|leitor(?:es|as?)?|visualizador\\w*|convidad[oa]s?|membros?',
    'perfil (?:de )?(?:leitura|leitor|visualizacao)|sem permiss\\w*|permiss\\w* (?:limitad|restrit)\\w*',
  ],
});

export const PRIVILEGED_ACTION = wordsOf({
  en: [
    '(?:can|could|managed to|was able to|were able to|is able to|are able to|succeeded in) (?:even |still |also )?(?:delete|remove|start|change|edit|modify|create|write|open|see|access|manage|invite|promote|download|export)',
    'with that key (?:works|succeeds)|(?:post|put|patch|delete) \\/\\S+ (?:with that key )?(?:works|succeeds|returns 200)',
  ],
  es: [
    '(?:pudo|puede|pueden|pudieron|logro|lograron|consiguio|consiguieron|ha podido|han podido) (?:\\w+ ){0,2}?(?:borrar|eliminar|cambiar|modificar|editar|crear|abrir|acceder|invitar|gestionar|administrar|lanzar|iniciar|descargar|exportar)',
  ],
  de: [
    '(?:kann|konnen|konnte|konnten|schaffte es|hat es geschafft)(?: \\w+){0,5}? (?:loschen|entfernen|andern|bearbeiten|anlegen|erstellen|offnen|einladen|verwalten|starten|herunterladen|exportieren|zugreifen)',
  ],
  fr: [
    '(?:a pu|ont pu|peut|peuvent|pouvait|a reussi a|ont reussi a|arrive a|parvient a|est parvenue? a) (?:\\w+ ){0,2}?(?:supprimer|effacer|modifier|changer|editer|creer|ouvrir|acceder|inviter|gerer|lancer|demarrer|telecharger|exporter)',
  ],
  pt: [
    '(?:conseguiu|consegue|conseguem|conseguiram|pode|podem|foi capaz de) (?:\\w+ ){0,2}?(?:apagar|excluir|deletar|remover|alterar|mudar|editar|criar|abrir|acessar|convidar|gerenciar|iniciar|baixar|exportar)',
  ],
});

// --- Identifiers anyone can guess or walk.
export const ID_TAMPERING = wordsOf({
  en: [
    'chang\\w* \\d+ to \\d+',
    '(?:chang(?:e|ed|ing)|edit(?:ed|ing)?|modif(?:y|ied)|increment(?:ed|ing)?|tried|swap(?:ped)?)\\b[^.\\n]{0,60}\\b(?:id|ids|number|numero|nummer|identifiant)',
    'sequential|guessable|predictable|just numbers|the (?:number|id) (?:after|before) ours|off-by-one|enumerat\\w*',
    'ids? \\d+ (?:to|through|-) \\d+|incrementing (?:ids?|numbers?)|next (?:id|number) (?:up|along)',
    '(?:orgs?|organi[sz]ations?|accounts?|tenants?|customers?|users?|workspaces?|projects?) \\d+ ?(?:to|through|-) ?\\d+',
    "fat[- ]?finger\\w*(?: \\w+){0,2} (?:id|url|number|org id|account id)|fat[- ]?finger\\w* it as \\d+|mistyped (?:the )?(?:id|url|number)|typo(?:'?d|ed)? (?:in )?(?:the )?(?:id|url|number)|typed (?:the url|the address|it) by hand",
    '(?:with|for|to) any (?:other )?(?:number|id|org id|account id)',
  ],
  es: [
    'secuencial\\w*|consecutiv[oa]s|correlativ[oa]s|predecibles?|adivinables?|enumer\\w+',
    '(?:cambi\\w+|modific\\w+|alter\\w+)\\b[^.\\n]{0,40}\\b(?:numero|id|identificador)',
  ],
  de: [
    'fortlaufend\\w*|aufsteigend\\w*|sequenziell\\w*|durchnummeriert|erratbar\\w*|vorhersehbar\\w*|vorhersagbar\\w*|hochgezahlt',
    '(?:geandert|anderten|andern|geandert|hochgezahlt|ausgetauscht)\\b[^.\\n]{0,40}\\b(?:nummer|id)|(?:nummer|id)\\b[^.\\n]{0,40}\\b(?:geandert|hochgezahlt|ausgetauscht)',
  ],
  fr: [
    'sequenti\\w*|consecutifs?|incrementa\\w*|previsibles?|devinables?|enumer\\w+',
    '(?:change|modifie|remplace)\\w*\\b[^.\\n]{0,40}\\b(?:numero|id|identifiant)',
  ],
  pt: [
    'sequencia(?:l|is)|consecutiv[oa]s|previsive(?:l|is)|adivinhave(?:l|is)|enumer\\w+',
    '(?:mud\\w+|alter\\w+|troc\\w+)\\b[^.\\n]{0,40}\\b(?:numero|id|identificador)',
  ],
});
