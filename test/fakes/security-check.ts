// The LLM security check (SECURITY_LLM_CHECK) as a fake Ollama or OpenAI-compatible server sees it: its requests told
// apart from triage requests by the JSON Schema they carry, and the content a model answers with.
import type { RecordedRequest } from './ollama.ts';

interface CheckBody {
  format?: { properties?: Record<string, unknown> };
  response_format?: { json_schema?: { name?: string } };
}

/** Ollama: `format` holds the check's schema; OpenAI-compatible: `response_format.json_schema.name`. */
export function isSecurityCheck(request: RecordedRequest): boolean {
  const body = request.body as CheckBody | undefined;
  const properties = body?.format?.properties;
  return (
    (properties !== undefined && 'security_relevant' in properties) ||
    body?.response_format?.json_schema?.name === 'security_check'
  );
}

/** The message content of a model answering the check. */
export const securityVerdict = (relevant: boolean, reason: string): string =>
  JSON.stringify({ security_relevant: relevant, reason });
