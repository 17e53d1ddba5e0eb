// The triage output contract (CONTRACTS.md §2): the single zod schema that every provider's answer is validated
// against. The JSON Schema sent to providers and the TypeScript types are derived from it, never written by hand.
import { z } from 'zod';

export const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
export const HANDLING_MODES = [
  'reply_only',
  'reply_and_internal_followup',
  'internal_followup_only',
  'request_more_info',
  'no_action',
] as const;
export const INTERNAL_ACTIONS = [
  'Create bug report',
  'Create feedback ticket',
  'Escalate to engineering',
  'Escalate to security',
  'None',
] as const;
export const ASANA_TYPES = ['Bug', 'Feedback', 'Escalation', 'None'] as const;

export const SUMMARY_MAX = 300;

export const triageOutputSchema = z
  .object({
    priority: z.enum(PRIORITIES),
    handling_mode: z.enum(HANDLING_MODES),
    recommended_internal_action: z.enum(INTERNAL_ACTIONS),
    asana_ticket_type_if_needed: z.enum(ASANA_TYPES),
    customer_summary: z.string().max(SUMMARY_MAX),
    reply_needed: z.boolean(),
    reply_draft: z.string().nullable(),
    questions_for_customer: z.array(z.string()),
    internal_notes: z.array(z.string()),
    confidence: z.number().min(0).max(1),
  })
  .strict();

export type TriageOutput = z.infer<typeof triageOutputSchema>;
export type Priority = TriageOutput['priority'];

/** JSON Schema for providers' structured-output modes (strict: every property required, no extra keys). */
export const triageJsonSchema = z.toJSONSchema(triageOutputSchema, { target: 'draft-7' });
