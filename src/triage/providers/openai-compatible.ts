// The cloud provider: any OpenAI-compatible /chat/completions API, Groq by default (CONTRACTS.md §3). Asks for strict
// json_schema output and downgrades once, for the life of the instance, to json_object when the model refuses
// json_schema. Maps Groq/OpenAI error bodies {"error":{message,type,code}} onto FailureClass.

import { GROQ_DEFAULTS } from '../../domain/providers.ts';
import type { FailureClass } from '../../domain/triage-result.ts';
import {
  classifyStatus,
  type HttpResult,
  ProviderError,
  type ProviderRequest,
  type ProviderResponse,
  parseRetryAfter,
  postJson,
  type TriageProvider,
} from './provider.ts';

export interface OpenAICompatibleOptions {
  apiKey: string;
  baseUrl?: string;
  model?: string;
  timeoutMs?: number;
  temperature?: number;
  maxTokens?: number;
  /** Clock for HTTP-date retry-after values; tests inject it. */
  now?: () => number;
}

interface ApiError {
  message?: string;
  type?: string;
  code?: string;
  failed_generation?: string;
}

interface ChatCompletion {
  model?: string;
  choices?: { message?: { content?: unknown } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  error?: ApiError;
}

export interface OpenAICompatibleProvider extends TriageProvider {
  /** 'json_schema' until the API rejects it once, then 'json_object' for the rest of this instance's life. */
  responseFormatMode(): 'json_schema' | 'json_object';
}

export function createOpenAICompatibleProvider(options: OpenAICompatibleOptions): OpenAICompatibleProvider {
  const base = (options.baseUrl ?? GROQ_DEFAULTS.baseUrl).replace(/\/+$/, '');
  const model = options.model ?? GROQ_DEFAULTS.model;
  const timeoutMs = options.timeoutMs ?? GROQ_DEFAULTS.timeoutMs;
  const headers = { authorization: `Bearer ${options.apiKey}` };
  let mode: 'json_schema' | 'json_object' = 'json_schema';

  const call = (request: ProviderRequest, jsonSchema: object, signal?: AbortSignal) =>
    postJson(
      `${base}/chat/completions`,
      {
        model,
        messages: [
          { role: 'system', content: request.system },
          { role: 'user', content: request.user },
        ],
        temperature: options.temperature ?? 0.2,
        max_tokens: request.maxTokens ?? options.maxTokens ?? 1024,
        response_format:
          mode === 'json_schema'
            ? {
                type: 'json_schema',
                json_schema: {
                  name: request.schemaName ?? 'ticket_triage',
                  strict: true,
                  schema: strictSchemaOf(jsonSchema),
                },
              }
            : { type: 'json_object' },
      },
      headers,
      timeoutMs,
      signal,
    );

  return {
    name: 'groq',
    model,
    endpoint: `${base}/chat/completions`,
    responseFormatMode: () => mode,
    async complete(request, jsonSchema, signal): Promise<ProviderResponse> {
      let res = await call(request, jsonSchema, signal);
      let latencyMs = res.latencyMs;
      if (mode === 'json_schema' && rejectsJsonSchema(res)) {
        mode = 'json_object';
        res = await call(request, jsonSchema, signal);
        latencyMs += res.latencyMs;
      }
      const json = (typeof res.json === 'object' && res.json !== null ? res.json : {}) as ChatCompletion;
      if (res.status < 200 || res.status >= 300) throw classify(res, json.error ?? {}, latencyMs, options.now);
      const content = json.choices?.[0]?.message?.content;
      if (typeof content !== 'string') {
        throw new ProviderError('invalid_output', 'response has no choices[0].message.content', {
          status: res.status,
          latencyMs,
        });
      }
      return {
        text: content,
        usage: { promptTokens: json.usage?.prompt_tokens ?? 0, completionTokens: json.usage?.completion_tokens ?? 0 },
        latencyMs,
        model: typeof json.model === 'string' ? json.model : model,
      };
    },
  };
}

// Bounds that OpenAI-style strict mode has rejected on some models and versions; our parser enforces them anyway
// (summary truncated and noted, confidence range-checked), so dropping them costs nothing and avoids a 400.
const STRICT_UNSUPPORTED = new Set(['$schema', 'maxLength', 'minLength', 'minimum', 'maximum', 'maxItems', 'minItems']);

// The schema is the same module constant on every call; convert it once.
const strictSchemas = new WeakMap<object, unknown>();
function strictSchemaOf(schema: object): unknown {
  let strict = strictSchemas.get(schema);
  if (strict === undefined) {
    strict = toStrictSchema(schema);
    strictSchemas.set(schema, strict);
  }
  return strict;
}

export function toStrictSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toStrictSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // Only strip keywords, not properties that happen to share a keyword's name.
    out[key] = key === 'properties' ? mapValues(value, toStrictSchema) : toStrictSchema(value);
    if (STRICT_UNSUPPORTED.has(key)) delete out[key];
  }
  return out;
}

function mapValues(value: unknown, fn: (v: unknown) => unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fn(v)]));
}

function rejectsJsonSchema(res: HttpResult): boolean {
  if (res.status !== 400) return false;
  const error = (res.json as ChatCompletion | undefined)?.error;
  if (!error || error.code === 'json_validate_failed') return false;
  const text = `${error.message ?? ''} ${error.code ?? ''}`;
  return /json_schema|response_format|response format|structured output/i.test(text) && /support/i.test(text);
}

function classify(res: HttpResult, error: ApiError, latencyMs: number, now?: () => number): ProviderError {
  const code = error.code ?? '';
  const detail = `HTTP ${res.status}${code ? ` ${code}` : error.type ? ` ${error.type}` : ''}`;
  const make = (failureClass: FailureClass, extra: { retryAfterMs?: number; failedGeneration?: string } = {}) =>
    new ProviderError(failureClass, detail, { status: res.status, latencyMs, ...extra });

  if (code === 'json_validate_failed')
    return make('invalid_output', { failedGeneration: error.failed_generation ?? '' });
  if (code === 'model_not_found' || code === 'model_decommissioned') return make('model_missing');
  if (res.status === 404 && /model/i.test(error.message ?? '')) return make('model_missing');
  if (res.status === 429 || res.status === 498) {
    const retryAfterMs =
      parseRetryAfter(res.headers.get('retry-after'), now?.()) ?? retryAfterFromMessage(error.message ?? '');
    return make('rate_limited', retryAfterMs === undefined ? {} : { retryAfterMs });
  }
  return make(classifyStatus(res.status) ?? (res.status >= 400 ? 'http_4xx' : 'http_5xx'));
}

/** Groq's 429 message says "Please try again in 7.66s" or "in 1m2.5s" when the header is missing. */
function retryAfterFromMessage(message: string): number | undefined {
  const m = /try again in\s+(?:(\d+)m)?\s*(\d+(?:\.\d+)?)?(ms|s)?/i.exec(message);
  if (!m || (!m[1] && !m[2])) return undefined;
  const minutes = Number(m[1] ?? 0);
  const value = Number(m[2] ?? 0);
  return Math.ceil(minutes * 60_000 + (m[3] === 'ms' ? value : value * 1000));
}
