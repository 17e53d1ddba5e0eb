// The labelled evaluation set (eval/README.md): one JSON object per line. Loading validates every line and names the
// line, the ticket id and the field of each problem, so a hand-edited file fails with a message one can act on.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { NormalizedTicket } from '../domain/ticket.ts';
import { HANDLING_MODES, INTERNAL_ACTIONS, PRIORITIES } from '../domain/triage-output.ts';

export const SPLITS = ['main', 'heldout'] as const;
export type Split = (typeof SPLITS)[number];

/** The set the repository ships, wherever the command is run from. */
export const DEFAULT_EVAL_FILE = fileURLToPath(new URL('../../eval/tickets.jsonl', import.meta.url));

const nullableText = z.string().nullable();

/** A non-empty list of acceptable values, without repeats (the labelling guide's rule). */
const acceptable = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .array(z.enum(values))
    .min(1, 'must list at least one acceptable value')
    .refine((list) => new Set(list).size === list.length, 'must not repeat a value');

const lineSchema = z.object({
  id: z.string().min(1, 'required'),
  split: z.enum(SPLITS),
  kind: z.string().min(1, 'required'),
  lang: z.string().optional(),
  ticket: z.object({
    subject: z.string().trim().min(1, 'required'),
    body: z.string().trim().min(1, 'required'),
    customer_tier: nullableText,
    product_area: nullableText,
    customer_name: nullableText,
    from_email: nullableText,
  }),
  labels: z.object({
    priorities: acceptable(PRIORITIES),
    handling_modes: acceptable(HANDLING_MODES),
    internal_actions: acceptable(INTERNAL_ACTIONS),
    security: z.boolean(),
  }),
  note: z.string().optional(),
});

export type EvalTicket = z.infer<typeof lineSchema>;
export type EvalLabels = EvalTicket['labels'];

export interface EvalSet {
  file: string;
  /** sha256 of the file's bytes: two reports are only comparable ticket by ticket on the same set. */
  sha256: string;
  tickets: EvalTicket[];
}

export class EvalInputError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = 'EvalInputError';
  }
}

const MAX_PROBLEMS_SHOWN = 20;

export async function loadEvalSet(file: string): Promise<EvalSet> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new EvalInputError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return { file, sha256: createHash('sha256').update(text).digest('hex'), tickets: parseEvalSet(text, file) };
}

/** Parses and validates JSONL text; throws one EvalInputError listing every problem (the first 20). */
export function parseEvalSet(text: string, file = 'input'): EvalTicket[] {
  const problems: string[] = [];
  const tickets: EvalTicket[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problems.push(`${where}: not valid JSON (${(error as Error).message})`);
      return;
    }
    const parsed = lineSchema.safeParse(value);
    const id = typeof (value as { id?: unknown })?.id === 'string' ? ` (${(value as { id: string }).id})` : '';
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push(`${where}${id}: ${issue.path.join('.') || 'line'}: ${issue.message}`);
      }
      return;
    }
    const first = seen.get(parsed.data.id);
    if (first !== undefined) problems.push(`${where}${id}: id: repeats the id of line ${first}`);
    seen.set(parsed.data.id, index + 1);
    tickets.push(parsed.data);
  });
  if (problems.length === 0 && tickets.length === 0) problems.push('no tickets in the file');
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN);
    const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
    throw new EvalInputError(`${file}: ${problems.length} problem(s)\n  ${shown.join('\n  ')}${more}`, problems);
  }
  return tickets;
}

/** The ticket as intake would have normalized it; fixed timestamps and ids keep runs comparable. */
export function toNormalizedTicket(ticket: EvalTicket): NormalizedTicket {
  return {
    ticket_id: ticket.id,
    subject: ticket.ticket.subject.trim(),
    body: ticket.ticket.body.trim(),
    from_email: ticket.ticket.from_email,
    customer_name: ticket.ticket.customer_name,
    customer_tier: ticket.ticket.customer_tier,
    product_area: ticket.ticket.product_area,
    hubspot_ticket_url: null,
    portal_id: null,
    received_at: '2026-01-01T00:00:00.000Z',
    request_id: `eval-${ticket.id}`,
  };
}
