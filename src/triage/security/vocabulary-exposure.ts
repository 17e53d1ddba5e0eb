// The security net's word families about access and exposure (signing-in, disowned activity, credentials and where
// they showed up, the researcher's restraint), per language like vocabulary.ts, whose conventions they follow.
import { wordsOf } from './vocabulary.ts';

// --- Reached without signing in, stated as what happened (a how-to about public links is not one).
export const WITHOUT_LOGIN = wordsOf({
  en: [
    'without (?:logging in|login|being logged in|signing in|an? (?:account|session|token|api key)|auth\\w*|credentials)',
    'logged[- ]out|private (?:window|tab|browser)|incognito|unauthenticated|no auth(?:entication)?(?: header)?',
  ],
  es: [
    'sin (?:iniciar sesion|login|autenticaci\\w+|estar (?:logueado|conectado|autenticado)|sesion|cuenta|token|clave|credenciales)',
    'ventana (?:privada|de incognito)|de incognito',
  ],
  de: [
    'ohne (?:anmeldung|login|einloggen|authentifizierung|anzumelden|konto|token|schlussel|passwort|zugangsdaten)',
    'nicht angemeldet|ausgeloggt|abgemeldet|privaten? (?:browser)?fenster|inkognito\\w*',
  ],
  fr: [
    "sans (?:(?:etre )?connecte\\w*|connexion|authentification|s'identifier|se connecter|compte|jeton|cle|identifiants?)",
    'navigation privee|fenetre privee|deconnecte\\w*',
  ],
  pt: [
    'sem (?:login|fazer login|estar logad\\w*|autenticac\\w+|conta|token|chave|sessao|credenciais)',
    'janela anonima|aba anonima|navegacao privada|deslogad\\w*',
  ],
});
export const IT_OPENS = wordsOf({
  en: [
    'works|worked|opens?|opened|loads?|loaded|returns?|returned|shows?|showed|accessible|reachable|downloadable',
    'visible|(?:can|could) (?:see|open|download|view|access)|gives|gave|served',
  ],
  es: ['funciona\\w*|abr(?:e|en|ia|io)|carga\\w*|muestra\\w*|devuelve\\w*|accesibles?|visibles?|descarga\\w*'],
  de: ['funktionier\\w*|offne\\w*|ladt|laden|zeigt|abruf\\w*|aufrufbar|erreichbar|sichtbar|liefert|herunterladbar'],
  fr: ['fonctionn\\w*|march\\w*|ouvr\\w*|charg\\w*|affich\\w*|accessibles?|visibles?|renvoi\\w*|telechargeables?'],
  pt: ['funciona\\w*|abr(?:e|em|iu)|carrega\\w*|mostra\\w*|retorna\\w*|acessive(?:l|is)|visive(?:l|is)|baixa\\w*'],
});

// --- Activity the customer disowns: "nobody here did that", "not our address", in each language.
export const DISOWNED = wordsOf({
  en: [
    'no(?:body| one)(?: [\\w-]+){0,4}? (?:recogni[sz]es|recogni[sz]e|created|ran|run|started|made|did|added|changed|modified|updated|edited|deleted|removed|enabled|disabled|invited|authori[sz]ed|requested|works at that time|knows|touched|set (?:it |that |this |them )?up|logged in)',
    'none of (?:us|the \\w+|our \\w+)(?: \\w+)? (?:created|ran|did|made|added|started|recogni[sz]e)',
    "(?:not|wasn't|isn't|was not|is not) (?:me|us|ours|our (?:office|address|ip|idp|domain|server|vpn|doing)|my (?:address|email|device|ip|doing))",
    // Not a ruled-out cause: "the problem is not our network", "similar from two networks, so I think it is not our
    // network".
    "(?<!(?:problem|issue|cause|bottleneck|latency|slowness|reason|delay|fault|culprit|(?:think|so|means|therefore|sure|conclude) it) )(?:isn't|is not|wasn't|was not|doesn't match|not from|outside) (?:one of )?(?:our|my) (?:\\w+ )?(?:box|server|machine|runner|office|ip|address|range|network|vpn|device|laptop|computer|location|country|idp|domain)(?:e?s)?",
    "that's not (?:me|us|ours|my \\w+|our \\w+)|(?:don't|do not|didn't|did not|can't|cannot) (?:recogni[sz]e|account for)",
    // Not "we don't run them ourselves any more": something handed over, not disowned.
    "(?:didn't|did not|wasn't|was not) expect(?:ing)? (?:a |an |any |this |that |these |those )?(?:\\w+ )?(?:logins?|sign-?ins?|sessions?|calls?|requests?|exports?|prompts?|e-?mails?|invites?|invitations?|keys?|tokens?|changes?|webhooks?|users?|members?)\\b|(?:we|i) (?:never|did not|didn't|don't|do not) (?:use|used|create|created|request|requested|start|started|run|ran|share|shared|authori[sz]e)(?!(?: \\w+){0,2} (?:ourselves|myself|any ?more|in-house))",
    'never used|unknown (?:ip|address|device|location|destination|login|session|browser|country)|not recogni[sz]ed|unrecogni[sz]ed',
    "(?:an? |the )?(?:ip|address|device|location|country|browser)(?: address)? (?:that )?(?:we|i|nobody|no one) (?:do not|don't|did not|didn't|does not|doesn't) (?:know|recogni[sz]e)",
    'i was asleep|i (?:denied|declined|rejected)|no idea how|how (?:did|does|could) (?:it|they|this) get|never shared',
    // Terse, without the pronoun: "didn't start any login. denied them all".
    "(?:didn't|did not|never) (?:start|trigger|request|initiate)(?:ed)? (?:any |a |the |those |these )?(?:logins?|sign-?ins?|prompts?|requests?|codes?)|(?:i |we )?(?:didn't|did not|never) trigger(?:ed)?|denied (?:them|it|all|both|every)",
    // The person whose account it is denies it, or was away when it happened; an account acting as it never has.
    "(?:says|said|swears|insists|confirms|confirmed)(?: that)? (?:she|he|they) (?:didn't|did not|never|wasn't|was not|hasn't|has not|hadn't|had not)",
    '(?:she|he|they) (?:was|were) (?:on (?:holiday|vacation|leave|pto|parental leave)|off sick|asleep)',
    '(?:account|user|key|token|bot|member|it|he|she) (?:has|had) never (?:\\w+ ){0,2}?(?:downloaded|exported|logged in|signed in|called|accessed|used)',
    'no(?:body| one)(?: [\\w-]+){0,4}? (?:is|was|were) (?:awake|online|working|in the office)',
    '(?:was|were) (?:asleep|sleeping|in bed)',
    // Nobody was there to do it: the requests came while the person was in bed, on leave, or from where no one works.
    "(?:i'?m|i am|we'?re|we are|i was|we were) (?:not|never) (?:logging|signing|trying to (?:log|sign)) in|(?:literally )?in bed|was sleeping|were sleeping",
    "(?:didn't|did not|never) (?:request|ask for|asked for|requested) (?:them|it|these|those|any|the) ?(?:codes?|links?|emails?)?|codes? (?:i|we) (?:didn't|did not|never) (?:request|ask)",
    '(?:has|have|had) been on (?:holiday|vacation|leave|pto|parental leave|sick leave|maternity leave)',
    '(?:did|does|has done) none of (?:this|that|it|these)|none of (?:this|that|it) was (?:us|me|her|him|them)',
    '(?:we|i) (?:have|has) no (?:office|vpn|staff|one|employees|servers?|users?)(?: or (?:office|vpn|staff|one|employees|servers?|users?))? (?:there|in that)',
  ],
  es: [
    'nadie (?:\\w+ ){0,4}?(?:hizo|creo|inicio|reconoce|autorizo|cambio|pidio|solicito|configuro|entro|uso|usaba|utilizo|ejecuto|toco)|ningun[oa] de nosotros|no (?:fuimos|fui) (?:nosotros|yo)|no (?:lo|la|los|las) (?:hicimos|creamos|iniciamos)',
    'no (?:hemos|he) (?:creado|iniciado|hecho|autorizado|solicitado)|no reconoc(?:emos|o)|desconocid[oa]s?',
    'no (?:es|son) (?:nuestr[ao]s?|mi[ao]?) (?:ip|direccion|dispositivo|equipo|oficina)|sin (?:nuestro|mi) (?:permiso|conocimiento)',
    'no estaba (?:intentando|tratando de) (?:entrar|iniciar sesion|acceder)|que no (?:hice|pedi|solicite)|rechace (?:todas|todos)',
    '(?:dice|dijo|asegura|jura) que no (?:\\w+ ){0,2}?(?:inicio|entro|se conecto|accedio|hizo|fue)|(?:estaba) de (?:vacaciones|baja|permiso)',
    // Asleep, not trying, nobody asked: "estaba durmiendo y no intentaba entrar", "avisos que nadie ha pedido".
    'estaba(?:mos)? (?:durmiendo|dormid[oa]s?)|no intentaba(?:mos)? (?:entrar|iniciar sesion|acceder)|nadie (?:ha|habia) (?:pedido|solicitado|hecho|iniciado)',
  ],
  de: [
    'niemand (?:\\w+ ){0,4}?(?:hat|erkennt|kennt|war|benutzt|verwendet|gemacht|gestartet|angelegt|erstellt|geandert)|keine?r? von uns|nicht von uns|(?:waren|war) (?:nicht wir|es nicht)|erkennen wir nicht|(?:kenne|kennen) (?:ich|wir) nicht',
    'haben wir nicht (?:angelegt|erstellt|gestartet|gemacht|autorisiert|veranlasst)|nicht unsere? (?:ip|adresse|gerat|buro|netz\\w*)',
    'unbekannte\\w*|ohne unser (?:wissen|zutun)',
    'ich habe (?:nicht|nichts) (?:versucht|angefordert|beantragt)|(?:ich habe|habe ich) (?:\\w+ )?(?:alle )?abgelehnt',
    '(?:sagt|versichert|schwort)(?: \\w+){0,3}?,? (?:sie|er) (?:habe|hat|hatte|sei|war) (?:sich )?(?:nicht|nie)|(?:war) (?:im urlaub|krank|in elternzeit)',
    'schlief|(?:hat|habe|hatte) (?:\\w+ ){0,6}geschlafen|niemand (?:hat|hatte) (?:\\w+ ){0,2}(?:angefordert|beantragt|angestossen)|(?:war|waren) (?:noch )?nie in',
  ],
  fr: [
    "personne (?:ici |chez nous )?(?:n'a|ne reconnait|ne connait|n'etait)|aucune? de nous|(?:ce n'est|ce n'etait) pas (?:nous|moi)",
    "(?:nous n'avons|je n'ai) (?:pas|jamais) (?:cree|lance|fait|autorise|demande)|ne reconnai(?:ssons|s) pas",
    'pas (?:notre|mon) (?:ip|adresse|appareil|bureau)|inconnue?s?|a notre insu',
    "je n'essayais pas de me connecter|que je n'ai pas (?:demande|fait)|j'ai (?:tout |toutes |tous )?refuse\\w*",
    "(?:dit|affirme|assure|jure) (?:ne (?:pas |jamais )?s'etre|n'avoir (?:pas|jamais)|ne pas avoir)|(?:etait) en (?:conge|vacances)",
    "(?:il|elle|je) dormai[st]|n'essayai[st] pas de (?:se |me )?connecter|que personne n'a (?:demande|sollicite)",
  ],
  pt: [
    'ninguem (?:\\w+ ){0,4}?(?:fez|criou|iniciou|reconhece|autorizou|alterou|mudou|pediu|solicitou|configurou|usou|usava|utilizou|executou|mexeu)|nenhum de nos|nao (?:fomos|fui) (?:nos|eu)|nao (?:criamos|iniciamos|fizemos|autorizamos|solicitamos)',
    'nao reconhec(?:emos|o)|desconhecid[oa]s?|nao (?:e|sao) (?:noss[ao]s?|meu|minha) (?:ip|endereco|dispositivo|escritorio)',
    'sem (?:nosso|meu) conhecimento',
    'nao (?:estava|estou) (?:tentando|a tentar) (?:entrar|acessar|fazer login)|que nao (?:fiz|fizemos|pedi|solicitei)|recusei (?:todas|todos)',
    '(?:diz|disse|garante|jura) que nao (?:\\w+ ){0,2}?(?:fez|entrou|acessou|logou|se conectou)|(?:estava) de (?:ferias|licenca)',
    'estava(?:mos)? dormindo|nao (?:tentava|tentavamos) (?:entrar|acessar|fazer login)|que ninguem (?:pediu|solicitou)',
  ],
});

export const ACCOUNT_ACTIVITY = wordsOf({
  en: [
    'log ?ins?|logged in|sign[- ]?ins?|signed in|sessions?|mfa|2fa|push (?:prompts?|notifications?)|prompts|api calls?|calls',
    '(?:verification|login|sign-?in|security|one-time|2fa|mfa|sms) codes?|otps?',
    'requests|usage|key (?:named|called)|created|exports?|downloads?|downloaded|scans?|webhook|idp|sso settings',
    'password changed|reset (?:mail|email|link)|audit log|\\d{1,3}(?:\\.\\d{1,3}){3}',
    '(?:at|around) 0?[0-4][:h.]\\d\\d|[1-4] ?am|overnight|all night|last night',
  ],
  es: [
    'inicios? de sesion|sesion(?:es)?|accesos?|conexion(?:es)?|llamadas|solicitudes|peticiones|descargas?|exportaciones?',
    'a las 0?[0-4][:h.]\\d\\d|de madrugada|por la noche',
  ],
  de: [
    'anmeldung(?:en)?|logins?|sitzung(?:en)?|zugriffe?|aufrufe|anfragen|downloads?|exporte?',
    'um 0?[0-4][:h.]\\d\\d|mitten in der nacht|nachts',
  ],
  fr: ['connexions?|sessions?|acces|appels|requetes|telechargements?|exports?', 'vers 0?[0-4][:h.]\\d\\d|la nuit'],
  pt: [
    'sessao|sessoes|acessos?|logins?|chamadas|requisicoes|downloads?|exportacoes?',
    'as 0?[0-4][:h.]\\d\\d|de madrugada',
  ],
});

// --- Credentials, public places and exposure in output.
export const CREDENTIAL_WORDS = wordsOf({
  en: [
    'api[- ]?keys?|keys?|tokens?|secrets?|passwords?|credentials?|bearer|authorization header|access keys?|private keys?',
    'signing secret|\\.env|\\.npmrc|connection string|session cookies?',
  ],
  es: ['claves?|llaves?|contrasenas?|credenciales|tokens?|secretos?'],
  de: ['schlussel\\w*|api-schlussel\\w*|passw(?:o|oe)rt\\w*|kennw(?:o|oe)rt\\w*|zugangsdaten|token\\w*|anmeldedaten'],
  fr: ['cles?|cle api|jetons?|mots? de passe|identifiants? de connexion|secrets?'],
  pt: ['chaves?|senhas?|credenciais|tokens?|segredos?'],
});

export const PUBLIC_PLACE = wordsOf({
  en: [
    'public(?:ly)?|made public|pastebin|paste site|gists?|forums?|q&a|stack ?overflow',
    'tarball|npm (?:package|registry)|pypi|rubygems|crates\\.io|maven central|docker ?hub|public registry',
    'anyone (?:who (?:installs|downloads|has the link)|with the link|on the internet|can (?:see|read|download|open|view))',
    'indexed by (?:google|search engines)',
    // What every visitor's browser downloads is public too.
    'page source|view-source|(?:js|javascript) bundles?|source ?maps?|client-side (?:code|javascript|bundle)|front-?end (?:code|bundle)',
  ],
  es: ['public[oa]s?|publicad[oa]s?|foros?|cualquiera (?:puede|con el enlace)'],
  de: ['offentlich\\w*|veroffentlich\\w*|jeder (?:kann|mit dem link)|fur alle sichtbar'],
  fr: ["publi(?:que|quement|ee?s?|cs?)|forums?|n'importe qui|tout le monde peut"],
  pt: ['public[oa]s?|publicad[oa]s?|foruns?|qualquer (?:pessoa|um)'],
});

export const EXPOSURE_CONTEXT = wordsOf({
  en: [
    'plain ?text|clear ?text|in the clear|unmasked|not (?:a )?masked|world-readable|stack ?trace|printed',
    'in (?:the )?(?:export|csv|logs?|audit log|response|json|payload|url|referr?er header|error page|diagnostics|debug bundle)',
    '(?:export|csv|log|logs|diagnostics|bundle|response|error page)\\b[^.\\n]{0,60}\\b(?:includes?|contains?|has|shows?|printed)',
    '(?:sent|leaked|shared|exposed|visible|passed|forwarded|goes|went)(?: \\w+){0,3}? (?:to|with) (?:a |an |the )?third[- ]part(?:y|ies)',
    '(?:in|via|through|into) the referr?er(?: header)?|referr?er headers? (?:of|to|sent)|sent to the \\w+ vendor',
  ],
  es: [
    'texto (?:plano|claro)|sin (?:enmascarar|ocultar|cifrar)|en (?:los )?(?:logs|registros)|en la (?:respuesta|url|exportacion)',
  ],
  de: [
    'klartext|unmaskiert|nicht maskiert|unverschlusselt|in den (?:logs|protokollen)|im (?:log|protokoll)|in der (?:antwort|url)',
  ],
  fr: ["en clair|non masque\\w*|dans les (?:logs|journaux)|dans (?:la|le) (?:reponse|url|message d'erreur|export)"],
  pt: ['texto (?:simples|claro|puro)|sem mascara|nao mascarad\\w*|nos logs|na (?:resposta|url|exportacao)'],
});

// --- What the reporter did not do (the researcher's restraint).
export const RESTRAINT = wordsOf({
  en: [
    "(?:i|we) (?:have not|haven't|did not|didn't|never) (?:tried|try|accessed|access|claimed|claim|published|publish|shared|share|touched|gone|go|download\\w*|exploited|kept|opened)",
    'stopped as soon as|closed the tab|only tested|researcher|reporting (?:this )?before|proof of concept|poc|on purpose not',
    'tested (?:[\\w-]+ ){0,6}?(?:with|on|against) (?:my|our) own (?:[\\w-]+ )?(?:accounts?|orgs?|tenants?|workspaces?|data)',
  ],
  es: [
    'no (?:he|hemos) (?:intentado|probado|accedido|tocado|descargado|compartido|abierto)|no hemos tocado|nada mas',
    'a proposito no|solo (?:probe|probamos) con (?:mi|nuestr)\\w*',
  ],
  de: [
    '(?:nicht|nie) (?:\\w+ ){0,2}?(?:ausprobiert|versucht|geoffnet|heruntergeladen|angefasst|weitergegeben)',
    'bewusst nicht|nicht weiter|nur (?:mit )?(?:meinem|unserem) eigenen',
  ],
  fr: [
    "(?:je n'ai|nous n'avons) (?:pas|jamais) (?:essaye|teste|ouvert|touche|telecharge|partage)",
    'volontairement pas|uniquement (?:sur|avec) (?:mon|notre) propre',
  ],
  pt: [
    'nao (?:tentei|testei|acessei|abri|baixei|mexemos|mexi|compartilhei|tentamos|testamos)',
    'de proposito nao|so testei com',
  ],
});
