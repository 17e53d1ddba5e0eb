// The dashboard's login cookie: an expiry and an HMAC of it keyed by ADMIN_TOKEN. Nothing is stored server-side;
// changing ADMIN_TOKEN signs everyone out.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'triage_session';
export const SESSION_TTL_MS = 12 * 3_600_000;

const mac = (adminToken: string, expires: number) =>
  createHmac('sha256', adminToken).update(`hubspot-triage dashboard session ${expires}`).digest('base64url');

export function issueSession(adminToken: string, now: number): string {
  const expires = now + SESSION_TTL_MS;
  return `${expires}.${mac(adminToken, expires)}`;
}

export function validSession(value: string | undefined, adminToken: string, now: number): boolean {
  if (!value) return false;
  const dot = value.indexOf('.');
  const expires = Number(value.slice(0, dot));
  if (dot < 1 || !Number.isSafeInteger(expires) || expires <= now) return false;
  const presented = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(mac(adminToken, expires));
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
