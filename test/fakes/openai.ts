// A fake OpenAI-compatible /chat/completions server (Groq flavour): the scripted JSON server from ./ollama.ts with
// response and error builders whose bodies follow Groq/OpenAI's {"error":{message,type,code}} format (CONTRACTS §3).
import { type RecordedRequest, type ScriptedReply, type ScriptedServer, startScriptedServer } from './ollama.ts';

export type { RecordedRequest, ScriptedReply };
export type FakeOpenAI = ScriptedServer;

/** The base URL to configure is `${fake.url}/openai/v1`, like Groq's. */
export function startFakeOpenAI(): Promise<FakeOpenAI> {
  return startScriptedServer({
    mainPath: '/openai/v1/chat/completions',
    fixed: {
      '/openai/v1/models': { json: { object: 'list', data: [{ id: 'openai/gpt-oss-120b', object: 'model' }] } },
    },
    unscripted: {
      status: 500,
      json: { error: { message: 'fake openai: no scripted response', type: 'internal_server_error' } },
    },
  });
}

export const baseUrlOf = (fake: FakeOpenAI) => `${fake.url}/openai/v1`;

export function chatCompletion(
  content: string | object,
  options: { model?: string; promptTokens?: number; completionTokens?: number; headers?: Record<string, string> } = {},
): ScriptedReply {
  const promptTokens = options.promptTokens ?? 900;
  const completionTokens = options.completionTokens ?? 180;
  return {
    status: 200,
    headers: {
      'x-ratelimit-remaining-requests': '999',
      'x-ratelimit-remaining-tokens': '7000',
      ...options.headers,
    },
    json: {
      id: 'chatcmpl-0f1e2d3c-4b5a-6978-8899-aabbccddeeff',
      object: 'chat.completion',
      created: 1_795_000_000,
      model: options.model ?? 'openai/gpt-oss-120b',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: typeof content === 'string' ? content : JSON.stringify(content) },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
      x_groq: { id: 'req_01fake' },
    },
  };
}

export interface ApiErrorBody {
  message: string;
  type: string;
  code?: string;
  failed_generation?: string;
}

export const openaiError = (status: number, error: ApiErrorBody, headers?: Record<string, string>): ScriptedReply => ({
  status,
  body: JSON.stringify({ error }),
  ...(headers ? { headers } : {}),
});

export const groqInvalidApiKey = () =>
  openaiError(401, { message: 'Invalid API Key', type: 'invalid_request_error', code: 'invalid_api_key' });

export const groqModelNotFound = (model: string) =>
  openaiError(404, {
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
    type: 'invalid_request_error',
    code: 'model_not_found',
  });

export const groqModelDecommissioned = (model: string) =>
  openaiError(400, {
    message: `The model \`${model}\` has been decommissioned and is no longer supported. Please refer to https://console.groq.com/docs/deprecations for a recommendation on which model to use instead.`,
    type: 'invalid_request_error',
    code: 'model_decommissioned',
  });

export const groqRateLimited = (retryAfterSeconds: number | null, model = 'openai/gpt-oss-120b') =>
  openaiError(
    429,
    {
      message: `Rate limit reached for model \`${model}\` in organization \`org_01fake\` service tier \`on_demand\` on tokens per minute (TPM): Limit 8000, Used 7400, Requested 1200. Please try again in 4.5s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing`,
      type: 'tokens',
      code: 'rate_limit_exceeded',
    },
    retryAfterSeconds === null ? undefined : { 'retry-after': String(retryAfterSeconds) },
  );

export const groqJsonValidateFailed = (failedGeneration: string) =>
  openaiError(400, {
    message: "Failed to generate JSON. Please adjust your prompt. See 'failed_generation' for more details.",
    type: 'invalid_request_error',
    code: 'json_validate_failed',
    failed_generation: failedGeneration,
  });

export const groqJsonSchemaUnsupported = (model: string) =>
  openaiError(400, {
    message: `This model (${model}) does not support response format \`json_schema\`. See supported models at https://console.groq.com/docs/structured-outputs#supported-models`,
    type: 'invalid_request_error',
  });

export const serverError = (status = 500) =>
  openaiError(status, { message: 'Internal Server Error', type: 'internal_server_error' });
