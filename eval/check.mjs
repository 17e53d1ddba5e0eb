#!/usr/bin/env node
// Validates eval/tickets.jsonl (or the file given as first argument) and prints counts.
// Plain Node, no dependencies. Exit code 1 on any error.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'tickets.jsonl');

const KINDS = ['howto', 'bug', 'outage', 'performance', 'billing', 'account_admin', 'feature_request', 'access', 'security', 'spam', 'auto_reply', 'injection', 'unclear', 'other'];
const LANGS = ['es', 'de', 'fr', 'pt'];
const SPLITS = ['main', 'heldout'];
const TIERS = ['enterprise', 'business', 'pro', 'free'];
const PRIORITIES = ['low', 'medium', 'high', 'critical'];
const MODES = ['reply_only', 'reply_and_internal_followup', 'internal_followup_only', 'request_more_info', 'no_action'];
const ACTIONS = ['Create bug report', 'Create feedback ticket', 'Escalate to engineering', 'Escalate to security', 'None'];
const TICKET_KEYS = ['subject', 'body', 'customer_tier', 'product_area', 'customer_name', 'from_email'];
const LABEL_KEYS = ['priorities', 'handling_modes', 'internal_actions', 'security'];
const EXAMPLE_DOMAIN = /@([a-z0-9-]+\.)*example\.(com|org|net)$/i;
const EXPLICIT = /security|vulnerab|breach|hack|exploit|\bCVE\b/i;

const errors = [];
const err = (where, msg) => errors.push(`${where}: ${msg}`);
const isStr = (v) => typeof v === 'string';
const strOrNull = (v) => v === null || isStr(v);
const sameKeys = (obj, keys) => JSON.stringify(Object.keys(obj)) === JSON.stringify(keys);

function checkList(where, name, value, allowed) {
  if (!Array.isArray(value) || value.length === 0) return err(where, `${name} must be a non-empty array`);
  for (const v of value) if (!allowed.includes(v)) err(where, `${name} has unknown value ${JSON.stringify(v)}`);
  if (new Set(value).size !== value.length) err(where, `${name} has duplicates`);
  if (value.length === allowed.length) err(where, `${name} accepts every value; narrow it`);
}

const raw = readFileSync(file, 'utf8');
const lines = raw.split('\n');
if (lines.at(-1) === '') lines.pop();

const ids = new Set();
const count = { kind: {}, lang: {}, split: {} };
const inc = (m, k) => { m[k] = (m[k] ?? 0) + 1; };
let security = 0;
let securityExplicit = 0;
let long = 0;
let short = 0;

lines.forEach((line, i) => {
  let where = `line ${i + 1}`;
  let t;
  try { t = JSON.parse(line); } catch (e) { return err(where, `invalid JSON (${e.message})`); }
  if (t === null || typeof t !== 'object' || Array.isArray(t)) return err(where, 'not an object');
  if (isStr(t.id)) where += ` (${t.id})`;

  const keys = ['id', 'split', 'kind', ...('lang' in t ? ['lang'] : []), 'ticket', 'labels', 'note'];
  if (!sameKeys(t, keys)) err(where, `keys must be ${keys.join(', ')} in that order, got ${Object.keys(t).join(', ')}`);

  // t… for tickets written with the rules in view, h… for tickets written by someone who had not seen the rules
  // (a held-out fifth; once measured and looked at, it joins `main` and a new one is written).
  const idPattern = t.split === 'heldout' ? /^h\d{3,}$/ : /^[th]\d{3,}$/;
  if (!isStr(t.id) || !idPattern.test(t.id)) err(where, `id must look like ${t.split === 'heldout' ? 'h001' : 't001 or h001'}`);
  else if (ids.has(t.id)) err(where, 'duplicate id');
  else ids.add(t.id);
  if (!SPLITS.includes(t.split)) err(where, `split must be one of ${SPLITS.join('|')}`);
  if (!KINDS.includes(t.kind)) err(where, `unknown kind ${JSON.stringify(t.kind)}`);
  if ('lang' in t && !LANGS.includes(t.lang)) err(where, `lang must be one of ${LANGS.join('|')} (omit it for English)`);
  if (!isStr(t.note) || !t.note.trim()) err(where, 'note must be a non-empty string');

  const tk = t.ticket;
  if (!tk || typeof tk !== 'object') err(where, 'ticket missing');
  else {
    if (!sameKeys(tk, TICKET_KEYS)) err(where, `ticket keys must be ${TICKET_KEYS.join(', ')} in that order`);
    if (!isStr(tk.subject) || !tk.subject.trim()) err(where, 'ticket.subject must be a non-empty string');
    if (!isStr(tk.body) || !tk.body.trim()) err(where, 'ticket.body must be a non-empty string');
    if (!(tk.customer_tier === null || TIERS.includes(tk.customer_tier))) err(where, `customer_tier must be null or ${TIERS.join('|')}`);
    for (const k of ['product_area', 'customer_name', 'from_email']) if (!strOrNull(tk[k])) err(where, `ticket.${k} must be string or null`);
    if (isStr(tk.from_email) && !EXAMPLE_DOMAIN.test(tk.from_email)) err(where, 'from_email must use example.com/.org/.net');
    const text = `${tk.subject ?? ''}\n${tk.body ?? ''}`;
    for (const m of text.matchAll(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g)) {
      if (!EXAMPLE_DOMAIN.test(m[0])) err(where, `email address ${m[0]} is not on an example domain`);
    }
    if (isStr(tk.body) && tk.body.length >= 2000) long++;
    if (isStr(tk.body) && tk.body.trim().length <= 20) short++;
  }

  const lb = t.labels;
  if (!lb || typeof lb !== 'object') err(where, 'labels missing');
  else {
    if (!sameKeys(lb, LABEL_KEYS)) err(where, `labels keys must be ${LABEL_KEYS.join(', ')} in that order`);
    checkList(where, 'priorities', lb.priorities, PRIORITIES);
    checkList(where, 'handling_modes', lb.handling_modes, MODES);
    checkList(where, 'internal_actions', lb.internal_actions, ACTIONS);
    if (typeof lb.security !== 'boolean') err(where, 'labels.security must be boolean');
    if (lb.security === true) {
      security++;
      if (EXPLICIT.test(`${tk?.subject ?? ''} ${tk?.body ?? ''}`)) securityExplicit++;
      if (Array.isArray(lb.priorities) && !lb.priorities.every((p) => p === 'high' || p === 'critical')) err(where, 'security ticket: priorities must be a subset of [high, critical]');
      if (JSON.stringify(lb.internal_actions) !== JSON.stringify(['Escalate to security'])) err(where, 'security ticket: internal_actions must be exactly ["Escalate to security"]');
    } else if (lb.security === false && Array.isArray(lb.internal_actions) && lb.internal_actions.includes('Escalate to security')) {
      err(where, 'non-security ticket must not accept "Escalate to security"');
    }
  }

  inc(count.kind, t.kind);
  inc(count.lang, t.lang ?? 'en');
  inc(count.split, t.split);
});

const show = (title, m) => {
  console.log(`${title}:`);
  for (const [k, v] of Object.entries(m).sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(16)} ${v}`);
};
console.log(`${file}: ${lines.length} tickets`);
show('per kind', count.kind);
show('per language', count.lang);
show('per split', count.split);
console.log(`security-relevant: ${security} (${securityExplicit} use an explicit word like security/vulnerability/breach/hack/exploit/CVE)`);
console.log(`bodies >= 2000 chars: ${long}; bodies <= 20 chars: ${short}`);

if (errors.length) {
  console.error(`\n${errors.length} error(s):`);
  for (const e of errors) console.error(`  ${e}`);
  process.exit(1);
}
console.log('OK');
