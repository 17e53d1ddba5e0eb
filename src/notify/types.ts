// The Discord webhook payload we send (CONTRACTS.md §5) and the Notifier interface that both the real Discord client
// and the console sink satisfy, so the pipeline can post a triage without knowing where it goes.
// Only the subset of Discord's execute-webhook body that we use is typed here.

import type { DiscordRateLimitStatus } from './discord-rate-limiter.ts';

export interface DiscordEmbedField {
  name: string;
  value: string;
  inline?: boolean;
}

export interface DiscordEmbedFooter {
  text: string;
  icon_url?: string;
}

export interface DiscordEmbedAuthor {
  name: string;
  url?: string;
  icon_url?: string;
}

export interface DiscordEmbed {
  title?: string;
  description?: string;
  url?: string;
  /** 0..0xFFFFFF */
  color?: number;
  fields?: DiscordEmbedField[];
  footer?: DiscordEmbedFooter;
  author?: DiscordEmbedAuthor;
  /** ISO-8601 */
  timestamp?: string;
}

export type DiscordMentionType = 'everyone' | 'roles' | 'users';

/** Always sent explicitly: Discord's default for webhooks is to parse every mention in `content`. */
export interface DiscordAllowedMentions {
  parse: DiscordMentionType[];
  roles?: string[];
  users?: string[];
}

export interface DiscordWebhookPayload {
  content?: string;
  username?: string;
  avatar_url?: string;
  embeds: DiscordEmbed[];
  allowed_mentions: DiscordAllowedMentions;
}

export type NotifyChannel = 'default' | 'critical';

export interface SendOptions {
  /** Critical tickets go to the critical webhook when one is configured. */
  critical: boolean;
}

export interface SendResult {
  /** Discord's message id; null only when Discord answered 204 without a body. */
  messageId: string | null;
  channel: NotifyChannel;
  /** HTTP requests made, including retries. */
  attempts: number;
}

export interface Notifier {
  send(payload: DiscordWebhookPayload, options: SendOptions): Promise<SendResult>;
  /** Discord's rate-limit state as this process sees it (absent for the console sink). */
  status?(): DiscordRateLimitStatus;
}
