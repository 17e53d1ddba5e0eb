// The learned signal of the security net: a logistic model over the character 4-grams of the reported text, trained
// on the labelled set's `main` split (eval/tickets.jsonl) by scripts/train-security-wording.ts. Where the hand-written
// kinds (signals.ts) each read one shape of report, this one reads the wording as a whole, so a report phrased in a
// way no pattern names can still reach the threshold. Measured on held-out fifths it had not seen it catches most of
// what the patterns miss (eval/RESULTS.md). It only ever adds evidence: a low probability takes nothing away from the
// other kinds, and it never marks an incident (so it can escalate to HIGH, never page anyone on its own).
// Character n-grams rather than words: they see through inflection, compounds and the four other languages without
// a stemmer, and through typos. Deterministic: fixed order, fixed epochs, no randomness; the committed model is
// exactly what training on the committed set produces (test/unit/triage/security-wording.test.ts).
// The same learner reads a second question for the rules: among reports, does this one read like the labelled
// incidents (exposure or misuse that has happened, `critical` alone) rather than weaknesses (`high`)? Its model,
// incident-model.json, only ever holds a page back (index.ts): the hand-written incident evidence must agree with it.
import { readFileSync } from 'node:fs';
import type { TicketText } from '../ticket-text.ts';

export const WORDING_NGRAM = 4;

/** What a model was trained to recognise: security reports among all tickets, or incidents among tickets. */
export type WordingTarget = 'security' | 'incident';

export interface WordingModel {
  kind: 'char-ngram-logistic';
  ngram: number;
  target: WordingTarget;
  /** Probability from which the wording counts as evidence of the target. */
  threshold: number;
  /** Also counts from this mean weight of the text's grams, whatever its probability (the incident model): the
   * probability grows with the number of grams that lean one way, so a short report has a low one by length alone;
   * the mean says which way its grams lean, long or short. */
  meanThreshold?: number;
  training: WordingTraining & { tickets: number; positives: number; source: string };
  bias: number;
  /** n-gram → weight, rounded, near-zero weights dropped. */
  weights: Record<string, number>;
}

export interface WordingTraining {
  epochs: number;
  learningRate: number;
  l2: number;
  /** Weights whose absolute value is below this are dropped from the committed model. */
  prune: number;
  /** Decimals kept per weight. */
  decimals: number;
}

export const WORDING_TRAINING: WordingTraining = { epochs: 30, learningRate: 1, l2: 1e-4, prune: 0.2, decimals: 2 };
/** Security evidence from p 0.5. An incident reading holds a page back only when both p < 0.15 and the mean gram
 * weight < 0.2: chosen on the earlier held-out fifths (scripts/wording-history.ts) and on their incidents cut short
 * (a short report must not lose its page for being short). */
export const WORDING_THRESHOLDS: Record<WordingTarget, { probability: number; mean?: number }> = {
  security: { probability: 0.5 },
  incident: { probability: 0.15, mean: 0.2 },
};

export interface WordingAssessment {
  probability: number;
  /** Mean weight of the text's grams (how they lean, whatever the length). */
  meanWeight: number;
  /** The probability (or the mean, where the model has a mean threshold) reached the model's threshold: the wording
   * is evidence of the target. */
  reached: boolean;
  /** When reached: the ticket's words that weigh most towards security, strongest first (at most three). */
  cues: string[];
}

/** The distinct character n-grams of the text, spaces collapsed and one space at each end. */
export function wordingGrams(clean: string, n = WORDING_NGRAM): string[] {
  const text = ` ${clean.replace(/\s+/g, ' ').trim()} `;
  const grams = new Set<string>();
  for (let i = 0; i + n <= text.length; i++) grams.add(text.slice(i, i + n));
  return [...grams];
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
// Each gram of a text weighs 1/√(number of grams) (the text is a unit vector): a long ticket is not more suspicious
// than a short one for having more grams, in training and in use alike.
const gramValue = (count: number) => (count === 0 ? 0 : 1 / Math.sqrt(count));

export interface WordingExample {
  /** The folded, reported text (signals.ts reportedText(...).clean). */
  clean: string;
  /** The ticket is what the model learns to recognise (a security report; an incident). */
  positive: boolean;
}

/** Logistic regression by plain stochastic gradient descent, in the order given, with lazy L2 decay. */
export function trainWordingModel(
  target: WordingTarget,
  examples: WordingExample[],
  source: string,
  options: WordingTraining = WORDING_TRAINING,
): WordingModel {
  const rows = examples.map((e) => ({ grams: wordingGrams(e.clean), y: e.positive ? 1 : 0 }));
  const weights = new Map<string, number>();
  let bias = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (const row of rows) {
      const scale = gramValue(row.grams.length);
      let z = bias;
      for (const g of row.grams) z += (weights.get(g) ?? 0) * scale;
      const error = sigmoid(z) - row.y;
      for (const g of row.grams) {
        const w = weights.get(g) ?? 0;
        weights.set(g, w - options.learningRate * (error * scale + options.l2 * w));
      }
      bias -= options.learningRate * error;
    }
  }
  const kept: Record<string, number> = {};
  for (const g of [...weights.keys()].sort()) {
    const w = Number(weights.get(g)!.toFixed(options.decimals));
    if (Math.abs(w) >= options.prune) kept[g] = w;
  }
  return {
    kind: 'char-ngram-logistic',
    ngram: WORDING_NGRAM,
    target,
    threshold: WORDING_THRESHOLDS[target].probability,
    ...(WORDING_THRESHOLDS[target].mean === undefined ? {} : { meanThreshold: WORDING_THRESHOLDS[target].mean }),
    training: {
      ...options,
      tickets: examples.length,
      positives: examples.filter((e) => e.positive).length,
      source,
    },
    bias: Number(bias.toFixed(options.decimals)),
    weights: kept,
  };
}

export function scoreWording(model: WordingModel, clean: string, withCues = true): WordingAssessment {
  const grams = wordingGrams(clean, model.ngram);
  const value = gramValue(grams.length);
  let sum = 0;
  for (const g of grams) sum += model.weights[g] ?? 0;
  const probability = sigmoid(model.bias + sum * value);
  const meanWeight = grams.length === 0 ? 0 : sum / grams.length;
  const reached =
    probability >= model.threshold || (model.meanThreshold !== undefined && meanWeight >= model.meanThreshold);
  // The cues only explain an escalation: not worked out for the tickets the wording leaves alone.
  return { probability, meanWeight, reached, cues: reached && withCues ? topCues(model, clean) : [] };
}

// A word's weight is the sum of its own grams (with the spaces around it), so the cues name real words of the
// ticket: readable in the embed, unlike the grams themselves.
function topCues(model: WordingModel, clean: string): string[] {
  const scored = new Map<string, number>();
  for (const word of clean.split(/[^a-z0-9'-]+/)) {
    if (word.length < 3 || scored.has(word)) continue;
    scored.set(
      word,
      wordingGrams(word, model.ngram).reduce((sum, g) => sum + (model.weights[g] ?? 0), 0),
    );
  }
  return [...scored]
    .filter(([, w]) => w > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 3)
    .map(([word]) => word);
}

export const WORDING_MODEL_FILES: Record<WordingTarget, URL> = {
  security: new URL('./wording-model.json', import.meta.url),
  incident: new URL('./incident-model.json', import.meta.url),
};
const loaded: Partial<Record<WordingTarget, WordingModel>> = {};

/** The committed model for the target, read once. */
export function wordingModel(target: WordingTarget = 'security'): WordingModel {
  loaded[target] ??= JSON.parse(readFileSync(WORDING_MODEL_FILES[target], 'utf8')) as WordingModel;
  return loaded[target];
}

/** Does the reported text read like the labelled security reports? (With cue words when it does.) */
export function assessWording(text: TicketText): WordingAssessment {
  return scoreWording(wordingModel('security'), text.clean);
}

/** Does the reported text read like the labelled incidents rather than weaknesses? */
export function assessIncidentWording(text: TicketText): WordingAssessment {
  return scoreWording(wordingModel('incident'), text.clean, false);
}
