// The CI gate of issue 13: the rules provider over the whole labelled set, in-process, through the service's own
// wiring, must meet eval/thresholds.json. A failure names each metric, split, value and bound.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.ts';
import { restrictConfig } from '../../src/eval/command.ts';
import { DEFAULT_EVAL_FILE, loadEvalSet } from '../../src/eval/dataset.ts';
import { buildReport } from '../../src/eval/report.ts';
import { runTickets } from '../../src/eval/run.ts';
import { checkThresholds, parseThresholds } from '../../src/eval/thresholds.ts';
import { createChainFromConfig } from '../../src/pipeline/wiring.ts';
import { captureLogger } from '../helpers/logger.ts';

const THRESHOLDS = fileURLToPath(new URL('../../eval/thresholds.json', import.meta.url));

test('the rules provider meets eval/thresholds.json on every split it names', async () => {
  const thresholds = parseThresholds(readFileSync(THRESHOLDS, 'utf8'), THRESHOLDS);
  assert.equal(thresholds.provider, 'rules');
  const set = await loadEvalSet(DEFAULT_EVAL_FILE);
  const config = restrictConfig(loadConfig({}), 'rules', null);
  const chain = await createChainFromConfig(config, captureLogger().logger);
  const outcomes = await runTickets(chain, set.tickets, { concurrency: 4 });
  const report = buildReport(
    {
      file: set.file,
      file_sha256: set.sha256,
      provider: 'rules',
      providers: chain.circuits().map((c) => c.name),
      model: 'rules-v20',
      prompt_version: chain.promptVersion,
      split: 'all',
      concurrency: 4,
      created_at: new Date().toISOString(),
      duration_ms: 0,
    },
    outcomes,
  );
  assert.deepEqual(report.providers, ['rules']);
  assert.equal(report.splits.all.tickets, set.tickets.length);
  assert.deepEqual(checkThresholds(report, thresholds), [], 'metrics below their gate in eval/thresholds.json');
});
