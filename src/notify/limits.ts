// Discord's hard limits and our tighter caps (CONTRACTS.md §5), and the total-length fitting that shortens an
// embed's longest free-text parts in a fixed order (internal notes, then reply draft, then summary) until it fits.
import { truncate } from './escape.ts';
import type { DiscordEmbed } from './types.ts';

export const DISCORD_LIMITS = {
  content: 2000,
  embeds: 10,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  total: 6000,
} as const;

export interface NotifyLimits {
  title: number;
  description: number;
  fieldValue: number;
  content: number;
  /** All embeds together: title + description + field names and values + footer + author. */
  total: number;
}

export const NOTIFY_LIMITS: Readonly<NotifyLimits> = {
  title: 200,
  description: 300,
  fieldValue: 500,
  content: 100,
  total: 5000,
};

/** Our caps with overrides applied, never looser than Discord's. */
export function resolveLimits(overrides: Partial<NotifyLimits> = {}): NotifyLimits {
  const merged = { ...NOTIFY_LIMITS, ...overrides };
  return {
    title: Math.min(merged.title, DISCORD_LIMITS.title),
    description: Math.min(merged.description, DISCORD_LIMITS.description),
    fieldValue: Math.min(merged.fieldValue, DISCORD_LIMITS.fieldValue),
    content: Math.min(merged.content, DISCORD_LIMITS.content),
    total: Math.min(merged.total, DISCORD_LIMITS.total),
  };
}

/** Discord's "all embeds together" count. UTF-16 length is at least the code-point count Discord uses. */
export function embedLength(embed: DiscordEmbed): number {
  let n = (embed.title?.length ?? 0) + (embed.description?.length ?? 0);
  n += (embed.footer?.text.length ?? 0) + (embed.author?.name.length ?? 0);
  for (const field of embed.fields ?? []) n += field.name.length + field.value.length;
  return n;
}

/** A part of the embed that may be shortened; `set` writes the shortened text back. */
export interface ShrinkablePart {
  get(): string;
  set(value: string): void;
  /** Appended when this part is cut (e.g. a pointer to HubSpot); defaults to an ellipsis. */
  suffix?: string;
  /** For text that cannot simply be cut at the end, such as a code block that must keep its closing fence. */
  shrink?: (maxLength: number) => string;
}

/** Keep at least this much of each part on the first pass so every part stays readable when possible. */
const READABLE_FLOOR = 120;

/**
 * Shortens parts in the given order until the embed fits `total`.
 * A second pass lets parts go below the readable floor, so the cap holds whatever the inputs are.
 */
export function shrinkToTotal(embed: DiscordEmbed, parts: ShrinkablePart[], total: number): void {
  for (const floor of [READABLE_FLOOR, 1]) {
    for (const part of parts) {
      const over = embedLength(embed) - total;
      if (over <= 0) return;
      const current = part.get();
      const target = Math.max(floor, current.length - over);
      if (target >= current.length) continue;
      part.set(part.shrink ? part.shrink(target) : truncate(current, target, part.suffix));
    }
  }
}
