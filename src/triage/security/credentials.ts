// Credentials as the security net reads them: the words (vocabulary-exposure.ts) and the shapes real secrets have,
// less what is no secret involved (blanked out, named as unchanged, a way of signing in, a crypto token), and whose
// secret it is (the customer's own, or ours).
import { CREDENTIAL_WORDS } from './vocabulary-exposure.ts';

const CREDENTIAL_SHAPES: RegExp[] = [
  /\b(?:sk|pk|rk|ask|adm|ghp|gho|xox[abp]|whsec|npm)_[a-z0-9_]{6,}/i,
  // A named secret field: client_secret, access_token, api_key, db_password.
  /\b[a-z]+_(?:secret|token|key|password)\b/i,
  /\bakia[0-9a-z]{8,}/i,
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s@/]+@/i,
  /-----begin [a-z ]*private key-----/i,
  /\b[a-z_]*(?:token|secret|key|password|passwd)[a-z_]*\s*=\s*[a-z0-9_\-./+]{8,}/i,
  /\bbearer\s+[a-z0-9_\-.]{16,}/i,
];
// A credential the customer has already blanked out ("Bearer [REDACTED]", "api_key=****") is no secret.
const REDACTED_CREDENTIAL =
  /\b(?:authorization:?\s*)?(?:bearer|tokens?|api[- ]?keys?|keys?|passwords?|secrets?)\s*[:=]?\s*(?:\[[a-z ]{0,20}\]|<[a-z _-]{0,20}>|\*{3,}|x{4,}|\.{3}|…)/g;
// A credential the customer says is unchanged ("endpoint and signing secret haven't changed", "we have not changed the
// action version or our API key") is a ruled-out cause, and "password login" / "break-glass accounts" name a way of
// signing in, and "no token" ("pas de jeton", "sin contraseña", "kein Passwort") names none: none of them is a secret
// involved.
const NOT_A_SECRET_INVOLVED =
  /\b(?:api[- ]?keys?|keys?|tokens?|secrets?|passwords?|credentials?)\b(?: \w+){0,2}? (?:haven't|have not|hasn't|has not) (?:changed|been (?:changed|rotated|touched))|\b(?:haven't|have not|hasn't|has not) (?:changed|rotated|touched)\b[^.\n]{0,60}\b(?:api[- ]?keys?|keys?|tokens?|secrets?|passwords?|credentials?)\b|\b(?:api[- ]?keys?|keys?|tokens?|secrets?|passwords?|credentials?) (?:is|are|stayed|remains?|remained) (?:unchanged|the same)\b|\bpasswords? (?:login|logins|log-?in|sign-?ins?|authentication|auth|accounts?)\b|\bbreak-?glass\b(?: \w+){0,2} accounts?\b|\b(?:no|without(?: any| a)?) (?:api[- ]?keys?|keys?|tokens?|secrets?|passwords?|credentials?)\b|\b(?:sin|sem|ohne|kein\w*|pas de|pas d'|sans|aucun\w*|ni(?: de| d')?|nem|nenhum\w*|ningun\w*)(?: (?:un|una|um|uma|el|la|o|a|de))? ?(?:tokens?|jetons?|contrasenas?|senhas?|passw\w+|mots? de passe|claves?|chaves?|cles?|schlussel\w*|kennw\w+)\b|\b(?:api[- ]?keys?|keys?|tokens?)\b[^.\n]{0,30}?[\w-]*\*{3,}|\btokens? (?:presale|pre-sale|sale|launch|airdrop|price|holders?|allocation)\b|\bcrypto ?tokens?\b/g;
export const credentialIn = (text: string) => {
  const unblanked = text.replace(REDACTED_CREDENTIAL, ' ').replace(NOT_A_SECRET_INVOLVED, ' ');
  return CREDENTIAL_WORDS.test(unblanked) || CREDENTIAL_SHAPES.some((shape) => shape.test(unblanked));
};
// Whose secret: "our prod API key", "we accidentally pushed", "a developer on our team committed" are the customer's
// own; "your admin token", "your CLI package on npm ships a .env", an internal or service credential are ours.
const OWN_CREDENTIAL =
  /\b(?:our|my)\b(?: [\w-]+){0,3} (?:api[- ]?keys?|keys?|tokens?|secrets?|credentials?|passwords?)\b|\b(?:nossa|nosso|minha|meu|nuestra|nuestro|mi|unser\w*|mein\w*|notre|ma|mon)\b(?: [\w-]+){0,3} (?:chaves?|claves?|llaves?|schlussel\w*|api-schlussel\w*|token\w*|cles?|jetons?|senhas?|contrasenas?|passw\w+|credenciais|credenciales|identifiants)\b|\b(?:chave|clave|schlussel|cle) (?:de api |api )?(?:nossa|nuestra|unser\w*|notre)\b|\b(?:we|i|(?:a|one of our|our) (?:dev|developer|engineer|teammate|colleague|contractor|intern)s?(?: on (?:our|my) team)?)(?: \w+ly)? (?:pushed|committed|pasted|posted|published|leaked|uploaded|checked in)\b/;
const VENDOR_CREDENTIAL =
  /\b(?:your|internal|admin|staff|deploy(?:ment)?|service)(?: [\w-]+){0,2} (?:api[- ]?keys?|keys?|tokens?|secrets?|credentials?|passwords?)\b|\byour (?:[\w@/.-]+ ){0,3}(?:package|packages|repo|repository|cli|sdk|image|container|app|bundle|extension|site|docs)\b/;

/** A credential in the text that is not only the customer's own: ours, an internal one, or one a researcher found. */
export const notOnlyTheCustomersOwn = (text: string) =>
  credentialIn(text) && !(OWN_CREDENTIAL.test(text) && !VENDOR_CREDENTIAL.test(text));
