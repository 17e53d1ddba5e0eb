// SOP knowledge for the prompt: SOP_FILE's text cut to SOP_TOKEN_BUDGET, SOP_DIR's markdown split into chunks by
// heading (indexed in PostgreSQL by the service), and the retrieved chunks fitted into what the budget leaves.
// Tokens are estimated as characters / 4, like the rest of the prompt code.
import { estimateTokens } from './prompt.ts';

export interface SopChunk {
  /** Stable across restarts while the file is unchanged: "{relative path}#{ordinal}". */
  id: string;
  /** The file and heading path, e.g. "billing.md › Refunds › Annual plans". */
  title: string;
  content: string;
}

/** Longest chunk; a longer section is split at paragraph breaks (about 300 tokens each). */
export const CHUNK_MAX_CHARS = 1200;

const TRUNCATED_MARKER = '\n[... SOP truncated to SOP_TOKEN_BUDGET ...]';

/** SOP_FILE's text within the budget, cut at a line break where one is near, with a visible marker. */
export function fitSopText(text: string, budgetTokens: number): { text: string; truncated: boolean } {
  const trimmed = text.trim();
  const maxChars = budgetTokens * 4;
  if (trimmed.length <= maxChars) return { text: trimmed, truncated: false };
  const room = Math.max(0, maxChars - TRUNCATED_MARKER.length);
  const cut = trimmed.slice(0, room);
  const lineEnd = cut.lastIndexOf('\n');
  const kept = lineEnd > room * 0.8 ? cut.slice(0, lineEnd) : cut;
  return { text: `${kept.trimEnd()}${TRUNCATED_MARKER}`, truncated: true };
}

/** Splits one markdown file into chunks: one per heading section, long sections at paragraph breaks. */
export function chunkMarkdown(source: string, markdown: string): SopChunk[] {
  const chunks: SopChunk[] = [];
  const headings: string[] = [];
  let lines: string[] = [];
  let inFence = false;

  const flush = () => {
    const body = lines.join('\n').trim();
    lines = [];
    if (!body) return;
    const title = [source, ...headings.filter(Boolean)].join(' › ');
    for (const piece of splitLong(body, CHUNK_MAX_CHARS)) {
      chunks.push({ id: `${source}#${chunks.length + 1}`, title, content: piece });
    }
  };

  for (const line of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      const level = heading[1]!.length;
      headings.length = level - 1;
      headings[level - 1] = heading[2]!;
      continue;
    }
    lines.push(line);
  }
  flush();
  return chunks;
}

function splitLong(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const pieces: string[] = [];
  let current = '';
  for (const paragraph of text.split(/\n\s*\n/)) {
    const next = current ? `${current}\n\n${paragraph}` : paragraph;
    if (next.length <= max) {
      current = next;
      continue;
    }
    if (current) pieces.push(current);
    // A single paragraph longer than a chunk is cut hard; SOP paragraphs that long are rare.
    let rest = paragraph;
    while (rest.length > max) {
      pieces.push(rest.slice(0, max));
      rest = rest.slice(max);
    }
    current = rest;
  }
  if (current) pieces.push(current);
  return pieces;
}

/** The retrieved chunks (best first) that fit in what SOP_FILE's text left of the budget; a chunk is never cut. */
export function fitChunks(chunks: SopChunk[], budgetTokens: number, sopText: string | undefined): SopChunk[] {
  let left = budgetTokens - (sopText ? estimateTokens(sopText) : 0);
  const kept: SopChunk[] = [];
  for (const chunk of chunks) {
    const cost = estimateTokens(chunk.title) + estimateTokens(chunk.content) + REFERENCE_OVERHEAD_TOKENS;
    if (cost > left) continue;
    kept.push(chunk);
    left -= cost;
  }
  return kept;
}

/** The delimiter lines around one chunk, in tokens. */
const REFERENCE_OVERHEAD_TOKENS = 20;

/** Words of the ticket for the full-text query: letters and digits only, so nothing reaches the query syntax. */
export function searchTermsOf(subject: string, body: string, maxTerms = 64): string[] {
  const seen = new Set<string>();
  for (const match of `${subject}\n${body.slice(0, 8000)}`.matchAll(/[\p{L}\p{N}]{3,40}/gu)) {
    seen.add(match[0].toLowerCase());
    if (seen.size >= maxTerms) break;
  }
  return [...seen];
}
