// `npm run train:wording`: retrains the security net's learned signals on eval/tickets.jsonl (split main) and writes
// src/triage/security/wording-model.json (security reports) and incident-model.json (incidents among them). Run it
// whenever tickets join `main`; a unit test fails while a committed model differs from what this produces.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_EVAL_FILE } from '../src/eval/dataset.ts';
import { trainWordingFromEvalSet } from '../src/eval/wording-training.ts';
import { WORDING_MODEL_FILES, type WordingTarget } from '../src/triage/security/wording.ts';

for (const target of Object.keys(WORDING_MODEL_FILES) as WordingTarget[]) {
  const model = await trainWordingFromEvalSet(DEFAULT_EVAL_FILE, target);
  const file = fileURLToPath(WORDING_MODEL_FILES[target]);
  writeFileSync(file, `${JSON.stringify(model)}\n`);
  console.log(
    `${file}: trained on ${model.training.tickets} tickets (${model.training.positives} ${target}), ` +
      `${Object.keys(model.weights).length} weights kept`,
  );
}
