import assert from 'node:assert/strict';
import { test } from 'node:test';
import { triageJsonSchema, triageOutputSchema } from '../../../src/domain/triage-output.ts';

test('the JSON Schema is strict-mode compatible: every property required, no extra keys', () => {
  const schema = triageJsonSchema as {
    properties: Record<string, unknown>;
    required: string[];
    additionalProperties: boolean;
  };
  assert.deepEqual([...schema.required].sort(), Object.keys(schema.properties).sort());
  assert.equal(schema.additionalProperties, false);
});

test('the zod schema rejects an unknown enum value and accepts a complete output', () => {
  const valid = {
    priority: 'high',
    handling_mode: 'reply_only',
    recommended_internal_action: 'None',
    asana_ticket_type_if_needed: 'None',
    customer_summary: 'Login fails',
    reply_needed: true,
    reply_draft: 'Hello',
    questions_for_customer: [],
    internal_notes: [],
    confidence: 0.7,
  };
  assert.equal(triageOutputSchema.safeParse(valid).success, true);
  assert.equal(triageOutputSchema.safeParse({ ...valid, priority: 'urgent' }).success, false);
});
