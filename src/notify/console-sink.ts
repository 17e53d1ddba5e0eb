// A Notifier that prints a readable plain-text rendering of the payload instead of posting it, for local runs
// without a Discord webhook and for the `send` CLI's dry-run. It never fails and never touches the network.
import { randomUUID } from 'node:crypto';
import type { DiscordWebhookPayload, Notifier, SendOptions, SendResult } from './types.ts';

export interface ConsoleSinkOptions {
  /** Receives one rendered message per call; defaults to stderr (stdout carries the JSON log). */
  write?: (text: string) => void;
}

export function createConsoleSink(options: ConsoleSinkOptions = {}): Notifier {
  const write = options.write ?? ((text: string) => process.stderr.write(`${text}\n`));
  return {
    async send(payload: DiscordWebhookPayload, opts: SendOptions): Promise<SendResult> {
      const channel = opts.critical ? 'critical' : 'default';
      write(renderPayload(payload, channel));
      return { messageId: `console-${randomUUID()}`, channel, attempts: 1 };
    },
  };
}

export function renderPayload(payload: DiscordWebhookPayload, channel: string): string {
  const lines: string[] = [`=== Discord message (${channel} channel) ===`];
  if (payload.content) lines.push(payload.content);
  for (const embed of payload.embeds) {
    if (embed.title) lines.push('', embed.title);
    if (embed.url) lines.push(embed.url);
    if (embed.description) lines.push('', embed.description);
    for (const field of embed.fields ?? []) {
      lines.push('', `${field.name}:`, ...field.value.split('\n').map((line) => `  ${line}`));
    }
    if (embed.footer) lines.push('', `-- ${embed.footer.text}`);
  }
  lines.push('');
  // Zero-width spaces only exist to defuse Discord mentions, and backslashes before punctuation to keep Discord from
  // reading customer text as Markdown; in a terminal both just get in the way of reading and copy and paste.
  return lines
    .join('\n')
    .replace(/\u200b/g, '')
    .replace(/\\([!-/:-@[-`{-~])/g, '$1');
}
