// Makes customer- and LLM-supplied text safe to place in a Discord embed: it can never mention anyone, never open
// or close a code block, never become a heading, quote, list or masked link, and never exceed a length cap.
// Escaping happens before truncation, and truncation never cuts a surrogate pair, so the result stays well-formed.

const ZWSP = '\u200b';
export const ELLIPSIS = '…';

// C0 controls other than tab and newline, DEL, and lone surrogates (which Discord cannot decode) are dropped.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// Characters that render as nothing; a value made only of these is empty to Discord.
const BLANK = /^[\s\u0085\u180e\u200b-\u200d\u2060\ufeff]*$/;

export function sanitize(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd').replace(CONTROL_CHARS, '').replace(/\r\n?/g, '\n');
}

export function isBlank(text: string | null | undefined): boolean {
  return text == null || BLANK.test(text);
}

/**
 * Breaks every mention form Discord recognises: @everyone / @here (any case, in case Discord ever relaxes it)
 * and <@id>, <@!id>, <@&id>, <#id>, </command:id>. allowed_mentions already stops pings; this also stops the
 * text from rendering as a mention pill or channel link, and protects any content line that does allow pings.
 */
export function escapeMentions(text: string): string {
  return text.replace(/@(?=everyone|here)/gi, `@${ZWSP}`).replace(/<(?=[@#/])/g, `<${ZWSP}`);
}

// Discord treats a backslash before any ASCII punctuation as an escape, so escaping is always safe to add.
const INLINE_MARKDOWN = /[\\*_~`|[\]<>]/g;
// Block syntax only means something at the start of a line: headings, subtext, quotes, lists.
const LINE_START_MARKDOWN = /^(\s*)([#>+-]|\d+\.)/gm;

function escapeMarkdown(text: string): string {
  return text.replace(INLINE_MARKDOWN, '\\$&').replace(LINE_START_MARKDOWN, (_m, space: string, mark: string) => {
    return mark.endsWith('.') ? `${space}${mark.slice(0, -1)}\\.` : `${space}\\${mark}`;
  });
}

/** One-line text (titles, list items, names): whitespace runs collapse to one space. */
export function escapeInline(text: string): string {
  const flat = sanitize(text).replace(/\s+/g, ' ').trim();
  return escapeMentions(escapeMarkdown(flat));
}

/** Multi-line text (summary, reply draft, error details): newlines kept, runs of blank lines collapsed. */
export function escapeMultiline(text: string): string {
  const tidy = sanitize(text)
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return escapeMentions(escapeMarkdown(tidy));
}

/** Plain text where markdown does not render (footers): only mentions need breaking. */
export function escapePlain(text: string): string {
  return escapeMentions(sanitize(text).replace(/\s+/g, ' ').trim());
}

/**
 * Wraps untrusted text in a code block. Inside a block backslashes are literal, so instead a zero-width space
 * follows every backtick: three in a row can then never occur and the fence cannot be closed early.
 */
export function fenceCode(text: string, maxLength: number, language = ''): string {
  const open = `\`\`\`${language}\n`;
  const close = '\n```';
  const body = escapeMentions(sanitize(text).replace(/`/g, `\`${ZWSP}`));
  return `${open}${truncate(body, maxLength - open.length - close.length)}${close}`;
}

/** Cuts to at most maxLength UTF-16 units (never more than Discord counts), ending with the suffix when cut. */
export function truncate(text: string, maxLength: number, suffix = ELLIPSIS): string {
  if (text.length <= maxLength) return text;
  if (maxLength <= suffix.length) return suffix.slice(0, Math.max(0, maxLength));
  let end = maxLength - suffix.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  // Do not leave a lone zero-width space hanging off a broken mention escape; harmless, but pointless.
  return `${text.slice(0, end).replace(/\u200b$/, '')}${suffix}`;
}
