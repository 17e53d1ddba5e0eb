// Checks an execute-webhook body against Discord's documented limits and types, written from Discord's rules
// (CONTRACTS.md §5), not from our builder, so tests and the fake Discord can catch what Discord would reject.
// Lengths are counted in code points, as Discord does. Returns a list of problems; empty means valid.

const LIMITS = {
  content: 2000,
  embeds: 10,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  username: 80,
  total: 6000,
  mentionIds: 100,
};

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const SNOWFLAKE = /^\d{1,20}$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// Discord strips these before checking that a value is present.
const BLANK = /^[\s\u0085\u180e\u200b-\u200d\u2060\ufeff]*$/;

function length(text: string): number {
  return [...text].length;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkString(
  errors: string[],
  path: string,
  value: unknown,
  max: number,
  opts: { required?: boolean; nonBlank?: boolean } = {},
): number {
  if (value === undefined || value === null) {
    if (opts.required) errors.push(`${path}: required`);
    return 0;
  }
  if (typeof value !== 'string') {
    errors.push(`${path}: must be a string`);
    return 0;
  }
  if (LONE_SURROGATE.test(value)) errors.push(`${path}: contains a lone surrogate`);
  const n = length(value);
  if (n > max) errors.push(`${path}: must be ${max} or fewer in length (got ${n})`);
  if (opts.nonBlank && BLANK.test(value)) errors.push(`${path}: must not be empty`);
  return n;
}

function checkUrl(errors: string[], path: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'string') {
    errors.push(`${path}: must be a string`);
    return;
  }
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') errors.push(`${path}: scheme must be http or https`);
  } catch {
    errors.push(`${path}: not a well formed URL`);
  }
}

function checkEmbed(errors: string[], path: string, embed: unknown): number {
  if (!isRecord(embed)) {
    errors.push(`${path}: must be an object`);
    return 0;
  }
  let total = 0;
  total += checkString(errors, `${path}.title`, embed.title, LIMITS.title);
  total += checkString(errors, `${path}.description`, embed.description, LIMITS.description);
  checkUrl(errors, `${path}.url`, embed.url);
  if (embed.color !== undefined) {
    const c = embed.color;
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > 0xffffff) {
      errors.push(`${path}.color: must be an integer between 0 and 16777215`);
    }
  }
  if (embed.timestamp !== undefined) {
    const t = embed.timestamp;
    if (typeof t !== 'string' || !ISO_8601.test(t) || Number.isNaN(Date.parse(t))) {
      errors.push(`${path}.timestamp: must be an ISO8601 timestamp`);
    }
  }
  if (embed.footer !== undefined) {
    if (!isRecord(embed.footer)) errors.push(`${path}.footer: must be an object`);
    else {
      total += checkString(errors, `${path}.footer.text`, embed.footer.text, LIMITS.footer, {
        required: true,
        nonBlank: true,
      });
      checkUrl(errors, `${path}.footer.icon_url`, embed.footer.icon_url);
    }
  }
  if (embed.author !== undefined) {
    if (!isRecord(embed.author)) errors.push(`${path}.author: must be an object`);
    else {
      total += checkString(errors, `${path}.author.name`, embed.author.name, LIMITS.author, {
        required: true,
        nonBlank: true,
      });
      checkUrl(errors, `${path}.author.url`, embed.author.url);
    }
  }
  if (embed.fields !== undefined) {
    if (!Array.isArray(embed.fields)) errors.push(`${path}.fields: must be an array`);
    else {
      if (embed.fields.length > LIMITS.fields) errors.push(`${path}.fields: must be ${LIMITS.fields} or fewer`);
      embed.fields.forEach((field: unknown, i: number) => {
        const fp = `${path}.fields[${i}]`;
        if (!isRecord(field)) {
          errors.push(`${fp}: must be an object`);
          return;
        }
        total += checkString(errors, `${fp}.name`, field.name, LIMITS.fieldName, { required: true, nonBlank: true });
        total += checkString(errors, `${fp}.value`, field.value, LIMITS.fieldValue, { required: true, nonBlank: true });
        if (field.inline !== undefined && typeof field.inline !== 'boolean') {
          errors.push(`${fp}.inline: must be a boolean`);
        }
      });
    }
  }
  return total;
}

function checkAllowedMentions(errors: string[], value: unknown): void {
  if (value === undefined) return;
  if (!isRecord(value)) {
    errors.push('allowed_mentions: must be an object');
    return;
  }
  const parse = value.parse ?? [];
  if (!Array.isArray(parse)) errors.push('allowed_mentions.parse: must be an array');
  else {
    for (const item of parse) {
      if (item !== 'everyone' && item !== 'roles' && item !== 'users') {
        errors.push(`allowed_mentions.parse: unknown mention type ${JSON.stringify(item)}`);
      }
    }
    if (new Set(parse).size !== parse.length) errors.push('allowed_mentions.parse: duplicate values');
  }
  for (const kind of ['roles', 'users'] as const) {
    const ids = value[kind];
    if (ids === undefined) continue;
    if (!Array.isArray(ids)) {
      errors.push(`allowed_mentions.${kind}: must be an array`);
      continue;
    }
    if (ids.length > LIMITS.mentionIds) errors.push(`allowed_mentions.${kind}: must be 100 or fewer`);
    for (const id of ids) {
      if (typeof id !== 'string' || !SNOWFLAKE.test(id)) errors.push(`allowed_mentions.${kind}: invalid snowflake`);
    }
    if (Array.isArray(parse) && parse.includes(kind) && ids.length > 0) {
      errors.push(`allowed_mentions: parse:["${kind}"] and a ${kind} list are mutually exclusive`);
    }
  }
}

export function validateDiscordPayload(payload: unknown): string[] {
  const errors: string[] = [];
  if (!isRecord(payload)) return ['body: must be a JSON object'];
  const contentLength = checkString(errors, 'content', payload.content, LIMITS.content);
  checkString(errors, 'username', payload.username, LIMITS.username);
  checkUrl(errors, 'avatar_url', payload.avatar_url);
  let embedCount = 0;
  if (payload.embeds !== undefined) {
    if (!Array.isArray(payload.embeds)) errors.push('embeds: must be an array');
    else {
      embedCount = payload.embeds.length;
      if (embedCount > LIMITS.embeds) errors.push(`embeds: must be ${LIMITS.embeds} or fewer`);
      let total = 0;
      payload.embeds.forEach((embed: unknown, i: number) => {
        total += checkEmbed(errors, `embeds[${i}]`, embed);
      });
      if (total > LIMITS.total) errors.push(`embeds: total size exceeds ${LIMITS.total} (got ${total})`);
    }
  }
  if (contentLength === 0 && embedCount === 0) errors.push('body: cannot send an empty message');
  checkAllowedMentions(errors, payload.allowed_mentions);
  return errors;
}
