import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide, type Stage } from '../../../src/pipeline/decide.ts';

const first = { number: 1, max: 8 };
const last = { number: 8, max: 8 };

test('the triage task decision table', () => {
  const rows: [Stage, typeof first, string][] = [
    [{ stage: 'claim_posted' }, first, 'skip'],
    [{ stage: 'claim_posted' }, last, 'skip'],
    [{ stage: 'claim_held' }, first, 'retry'],
    [{ stage: 'claim_held' }, last, 'retry'],
    [{ stage: 'enrich', retryable: true }, first, 'retry'],
    [{ stage: 'enrich', retryable: true }, last, 'post_failure'],
    [{ stage: 'enrich', retryable: false }, first, 'post_failure'],
    [{ stage: 'triage_aborted' }, first, 'retry'],
    [{ stage: 'triage_aborted' }, last, 'post_failure'],
    [{ stage: 'notify', config: true }, first, 'fail'],
    [{ stage: 'notify', config: false }, first, 'retry'],
    [{ stage: 'notify', config: false }, last, 'fail'],
    [{ stage: 'internal' }, first, 'retry'],
    [{ stage: 'internal' }, last, 'fail'],
  ];
  for (const [stage, attempt, action] of rows) {
    assert.equal(decide(stage, attempt).action, action, `${JSON.stringify(stage)} on attempt ${attempt.number}`);
  }
  // Only an unexpected error on the last attempt lets the job fail for graphile-worker; a refused post completes it.
  assert.deepEqual(decide({ stage: 'internal' }, last), { action: 'fail', rethrow: true });
  assert.deepEqual(decide({ stage: 'notify', config: true }, first), { action: 'fail', rethrow: false });
});
