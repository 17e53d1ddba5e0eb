// The ticket-state vocabulary: the honest success rate, and docs/operations.md's "Ticket states" table saying exactly
// what src/domain/states.ts says (the dashboard and `triage stats --help` print the module's words).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import {
  isPosted,
  POSTED_STATES,
  RUN_OUTCOMES,
  STATE_GUIDE,
  successRate,
  TICKET_STATES,
} from '../../../src/domain/states.ts';

test('success rate = posted / (posted + posted_as_failure + not_posted); a TRIAGE FAILED message is no success', () => {
  assert.equal(successRate({ posted: 3, posted_as_failure: 1, not_posted: 0 }), 0.75);
  assert.equal(successRate({ posted: 0, posted_as_failure: 4, not_posted: 0 }), 0);
  assert.equal(successRate({ posted: 2, posted_as_failure: 1, not_posted: 1 }), 0.5);
  assert.equal(successRate({ posted: 5, posted_as_failure: 0, not_posted: 0 }), 1);
  assert.equal(successRate({ posted: 0, posted_as_failure: 0, not_posted: 0 }), null, 'nothing ended: no rate');
});

test('posted states are exactly the two that reached Discord; every end is a ticket state', () => {
  assert.deepEqual(
    TICKET_STATES.filter((state) => isPosted(state)),
    ['posted', 'posted_as_failure'],
  );
  assert.deepEqual([...POSTED_STATES], ['posted', 'posted_as_failure']);
  assert.equal(isPosted('notified'), false);
  for (const outcome of RUN_OUTCOMES) assert.ok((TICKET_STATES as readonly string[]).includes(outcome));
  // Stored in varchar(20) columns.
  for (const state of TICKET_STATES) assert.ok(state.length <= 20, state);
});

test("docs/operations.md's Ticket states table matches STATE_GUIDE word for word", () => {
  const doc = readFileSync(resolve(import.meta.dirname, '../../../docs/operations.md'), 'utf8');
  const start = doc.indexOf('## Ticket states');
  assert.ok(start >= 0, 'docs/operations.md has a "Ticket states" section');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  const rows = section
    .split('\n')
    .filter((line) => /^\| `[a-z_]+` \|/.test(line))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  assert.deepEqual(
    rows,
    TICKET_STATES.map((state) => [`\`${state}\``, STATE_GUIDE[state].meaning, STATE_GUIDE[state].action]),
  );
});
