// The local provider: Ollama's native /api/chat behind a tunnel (CONTRACTS.md §3), asked for JSON-Schema structured
// output. Every non-success (timeout, refused connection, 5xx, auth, missing model, an {"error"} body even with 200)
// becomes a classified ProviderError so the chain can fall back.
import { OLLAMA_DEFAULTS } from '../../domain/providers.ts';
import { classifyStatus, ProviderError, type ProviderResponse, postJson, type TriageProvider } from './provider.ts';

export interface OllamaOptions {
  url: string;
  model: string;
  /** Sent as Authorization: Bearer (e.g. a reverse proxy in front of Ollama). */
  token?: string;
  cfAccessClientId?: string;
  cfAccessClientSecret?: string;
  timeoutMs?: number;
  keepAlive?: string;
  numCtx?: number;
  temperature?: number;
  numPredict?: number;
}

interface OllamaChatResponse {
  model?: string;
  message?: { content?: unknown };
  prompt_eval_count?: number;
  eval_count?: number;
  error?: unknown;
}

export function createOllamaProvider(options: OllamaOptions): TriageProvider {
  const endpoint = `${options.url.replace(/\/+$/, '')}/api/chat`;
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cfAccessClientId) headers['cf-access-client-id'] = options.cfAccessClientId;
  if (options.cfAccessClientSecret) headers['cf-access-client-secret'] = options.cfAccessClientSecret;
  const timeoutMs = options.timeoutMs ?? OLLAMA_DEFAULTS.timeoutMs;

  return {
    name: 'local',
    model: options.model,
    endpoint,
    async complete(request, jsonSchema, signal): Promise<ProviderResponse> {
      const body = {
        model: options.model,
        messages: [
          { role: 'system', content: request.system },
          { role: 'user', content: request.user },
        ],
        stream: false,
        format: jsonSchema,
        options: {
          temperature: options.temperature ?? 0.2,
          num_predict: request.maxTokens ?? options.numPredict ?? 1024,
          num_ctx: options.numCtx ?? OLLAMA_DEFAULTS.numCtx,
        },
        keep_alive: options.keepAlive ?? OLLAMA_DEFAULTS.keepAlive,
      };
      const res = await postJson(endpoint, body, headers, timeoutMs, signal);
      const json = (typeof res.json === 'object' && res.json !== null ? res.json : {}) as OllamaChatResponse;
      const errorText = typeof json.error === 'string' ? json.error : json.error ? JSON.stringify(json.error) : null;
      const fail = (failureClass: ConstructorParameters<typeof ProviderError>[0], message: string) =>
        new ProviderError(failureClass, message, { status: res.status, latencyMs: res.latencyMs });

      if (res.status < 200 || res.status >= 300 || errorText) {
        // Ollama says "model 'x' not found" (404 on recent versions, 200/400 with an error body on some proxies).
        if (errorText && /model .*not found|not found, try pulling/i.test(errorText)) {
          throw fail('model_missing', `model ${options.model} not found (HTTP ${res.status})`);
        }
        const byStatus = classifyStatus(res.status);
        if (byStatus) throw fail(byStatus, `HTTP ${res.status}${errorText ? `: ${short(errorText)}` : ''}`);
        if (res.status >= 400) throw fail('http_4xx', `HTTP ${res.status}${errorText ? `: ${short(errorText)}` : ''}`);
        throw fail('http_5xx', `error body with HTTP ${res.status}: ${short(errorText ?? '')}`);
      }
      if (typeof json.message?.content !== 'string') {
        // A 200 that is not Ollama's envelope is usually a proxy or tunnel page, i.e. the backend is not reachable.
        throw fail('http_5xx', 'malformed response: no message.content');
      }
      return {
        text: json.message.content,
        usage: { promptTokens: json.prompt_eval_count ?? 0, completionTokens: json.eval_count ?? 0 },
        latencyMs: res.latencyMs,
        model: typeof json.model === 'string' ? json.model : options.model,
      };
    },
  };
}

/** Error texts from Ollama are short and generic; clip them anyway so a proxy page cannot flood the logs. */
const short = (text: string) => (text.length > 120 ? `${text.slice(0, 120)}…` : text);
