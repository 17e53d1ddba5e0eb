// `npm run train:wording`: retrains the security net's learned signal on eval/tickets.jsonl (split main) and writes
// src/triage/security/wording-model.json. Run it whenever tickets join `main`; a unit test fails while the committed
// model differs from what this produces.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_EVAL_FILE } from '../src/eval/dataset.ts';
import { trainWordingFromEvalSet } from '../src/eval/wording-training.ts';
import { WORDING_MODEL_FILE } from '../src/triage/security/wording.ts';

const model = await trainWordingFromEvalSet(DEFAULT_EVAL_FILE);
const file = fileURLToPath(WORDING_MODEL_FILE);
writeFileSync(file, `${JSON.stringify(model)}\n`);
console.log(
  `${file}: trained on ${model.training.tickets} tickets (${model.training.security} security), ` +
    `${Object.keys(model.weights).length} weights kept`,
);
