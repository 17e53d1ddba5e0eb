// Who may read the dashboard, its forms and /metrics. With ADMIN_TOKEN set (always, in production): the login
// cookie, or the token as a Bearer token or HTTP Basic password (scripts, Prometheus). Without one (development
// only): loopback clients.
import type { FastifyRequest } from 'fastify';
import { equalsSecret } from '../intake/auth.ts';
import { SESSION_COOKIE, validSession } from './session.ts';

export type Verdict = 'allowed' | 'login_required' | 'loopback_only';

export function checkAccess(request: FastifyRequest, adminToken: string | null, now: number): Verdict {
  if (!adminToken) return isLoopback(request.ip) ? 'allowed' : 'loopback_only';
  const presented = presentedToken(request.headers.authorization);
  if (presented && equalsSecret(presented, adminToken)) return 'allowed';
  const cookies = (request as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies;
  const cookie = cookies?.[SESSION_COOKIE] ?? readCookie(request.headers.cookie, SESSION_COOKIE);
  return validSession(cookie, adminToken, now) ? 'allowed' : 'login_required';
}

function presentedToken(header: string | undefined): string | null {
  if (!header) return null;
  if (header.startsWith('Bearer ')) return header.slice(7);
  if (header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return null;
}

/** For routes outside the dashboard's plugin (/metrics), which has no cookie parser. */
function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export const isLoopback = (ip: string) => ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';
