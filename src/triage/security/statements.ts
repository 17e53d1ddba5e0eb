// How the security net tells what a ticket states from what it asks, supposes, fears or takes back: a kind of
// evidence counts as a fact only in the sentences that say it happened. Shared by the signal kinds (signals.ts).
import type { TicketText } from '../ticket-text.ts';
import { HOWTO_QUESTION, NEGATION, SHARING_INTENT, sentencesOf } from './vocabulary.ts';

// A fact is stated (not asked about hypothetically, not negated) when some sentence that is not a how-to question
// holds the pattern without a negation just before or inside the match ("a viewer cannot delete" is no bypass).
// Patterns that carry their own negation ("not ours", "never heard of") are read without the negation check.
// `unless` is what, just before the match, makes it something other than a fact (a purpose: "so I can manage").
export function stated(text: string, pattern: RegExp, negatable = true, unless?: RegExp): boolean {
  const global = new RegExp(pattern.source, 'g');
  return sentencesOf(text).some((sentence) => {
    if (HOWTO_QUESTION.test(sentence) || SHARING_INTENT.test(sentence)) return false;
    if (!negatable) return pattern.test(sentence);
    for (const match of sentence.matchAll(global)) {
      const before = sentence.slice(Math.max(0, (match.index ?? 0) - 10), match.index);
      if (unless?.test(sentence.slice(Math.max(0, (match.index ?? 0) - 30), match.index))) continue;
      if (!NEGATION.test(match[0]) && !/\b(?:not|no|nao|ne|n'|nicht|never|nunca|jamais)\s*$/.test(before)) return true;
    }
    return false;
  });
}
// Both halves in one stated sentence: "works without logging in", "funktioniert ohne Anmeldung".
export const statedTogether = (text: string, a: RegExp, b: RegExp) =>
  sentencesOf(text).some((sentence) => a.test(sentence) && stated(sentence, b));

// A cue whose counterpart sits in the same sentence or the one before or after it.
export function near(text: string, cue: RegExp, counterpart: (window: string) => boolean, reach = 1): boolean {
  const sentences = sentencesOf(text);
  return sentences.some(
    (s, i) => cue.test(s) && counterpart(sentences.slice(Math.max(0, i - reach), i + reach + 1).join(' ')),
  );
}
// What the ticket states as having happened: not its questions, guesses ("I'm guessing others have posted them"),
// or what it did before something ("before uploading it to our public issue I looked inside").
export const statements = (text: string) =>
  sentencesOf(text)
    .filter((s) => !/\?\s*$/.test(s) && !SPECULATION.test(s))
    .join('\n');
const HEDGED =
  /\b(?:i think|i believe|i fear|i'?m afraid|i'?m worried|we think|we fear|we'?re afraid|maybe|perhaps|possibly|might (?:have )?been|could (?:have )?been|is it possible|creo que|tal vez|quizas|ich glaube|vielleicht|je crois|je pense|peut-etre|acho que|talvez)\b/;
export const unhedged = (text: string) =>
  sentencesOf(text)
    .filter((s) => !HEDGED.test(s))
    .join('\n');
export const PLANNED =
  /\b(?:will|would|going to|if (?:i|we)|until (?:i|we)|ate (?:eu|nos|a gente|que)|se (?:eu|nos|a gente)|hasta que|si (?:yo|nosotros|creo|creamos)|bis (?:ich|wir)|wenn (?:ich|wir)|jusqu'a ce que|si (?:je|nous|on))\b[^.!?\n]*\?/;
const SPECULATION =
  /\b(?:i'?m guessing|i guess|i suspect|i assume|presumably|probably|might have|may have|could have|before (?:upload|post|push|publish|shar|send|attach)\w*)\b/;
// The reporter takes the alarm back: "I thought someone else had been in. Turns out that was me".
export const RETRACTED =
  /\b(?:turn(?:s|ed) out (?:that |it |this )?(?:was|were) (?:me|us|my|our|one of us|a colleague)|false alarm|(?:it|that) was (?:me|us|mine|ours) after all|falsa alarma|(?:era|fui) yo|fehlalarm|war ich (?:selbst|es)|fausse alerte|c'etait moi|alarme falso|(?:era|fui) eu|(?:please )?disregard (?:the|my|our) (?:\w+ ){0,2}(?:question|report|message|email|ticket|request)|(?:apolog\w*|sorry) for the (?:panic|alarm|noise|scare)|nothing (?:odd|wrong|suspicious|malicious) (?:on|at) your (?:end|side))\b/;
// A possibility rather than a sighting: a question, or anyone/someone who could do it. "I could see …" is a sighting.
export const SUPPOSED =
  /\?\s*$|\bwhether\b|\b(?:in theory|theoretically|potentially|hypothetically|en teoria|theoriquement|theoretisch|em teoria|i suppose|i imagine|presumably|je suppose|j'imagine|supongo|imagino|suponho|ich vermute|ich nehme an|vermutlich|pourraient|podrian|poderiam)\b|\b(?:anyone|anybody|someone|somebody|any user|an attacker|cualquiera|cualquier persona|alguien|qualquer (?:um|pessoa)|alguem|jeder|jemand|n'importe qui|quelqu'un)(?: \w+){0,2} (?:could|would|might|may|can|podria|puede|poderia|pode|conseguiria|lograria|konnte|kann|koennte|pourrait|peut)\b/;

// A reply whose newest message takes back what it quotes ("False alarm, sorry! … > somebody posted a key that looks like
// ours"): only the newest message is the report. Quoted history is the lines from the first "On … wrote:" or ">" on.
const QUOTE_START = /^\s*(?:>|on [^\n]{0,120}\bwrote:\s*$|-{2,} ?(?:original message|forwarded message) ?-{2,})/;
export function withoutRetractedHistory(text: TicketText): TicketText {
  const lines = text.clean.split('\n');
  const start = lines.findIndex((line) => QUOTE_START.test(line));
  if (start <= 0) return text;
  // A reply's subject ("Re: our key on a public page??") names the thread it takes back.
  const newest = lines
    .slice(0, start)
    .filter((line, index) => !(index === 0 && /^\s*(?:re|aw|sv|rv|res|fwd?|wg)\s*:/.test(line)))
    .join('\n');
  return RETRACTED.test(newest) && newest.trim() !== '' ? { ...text, clean: newest } : text;
}
