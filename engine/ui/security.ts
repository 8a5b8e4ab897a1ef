/**
 * Who may talk to the UI server. Loopback by default; any other address needs a token,
 * which the page then carries in an HttpOnly cookie. A Host check stops DNS rebinding
 * on loopback, an Origin check stops other sites from posting actions.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export const COOKIE = 'tradepipe_ui';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export class UsageError extends Error {}

/** The token the server requires: none on loopback unless given; given or generated elsewhere; else refused. */
export function resolveToken(host: string, token: string | boolean | undefined): string | undefined {
  if (typeof token === 'string') {
    if (token.length < 16) throw new UsageError('--token: expected at least 16 characters (or `--token` alone to generate one)');
    return token;
  }
  if (token === true) return randomBytes(24).toString('base64url');
  if (!isLoopback(host)) throw new UsageError(`refusing to bind ${host} without a token: anyone who can reach it could read the project; pass --token <secret>, or --token alone to generate one`);
  return undefined;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

/** Whether the request carries the token (cookie, bearer header, or `?token=` on a page load). */
export function authorized(req: IncomingMessage, url: URL, token: string | undefined): boolean {
  if (token === undefined) return true;
  const auth = req.headers.authorization;
  const offered = [cookieToken(req), auth?.startsWith('Bearer ') ? auth.slice(7) : undefined, url.searchParams.get('token') ?? undefined];
  return offered.some((t) => t !== undefined && same(t, token));
}

/** On loopback only these Host headers are ours: another name resolving to 127.0.0.1 is a rebinding attack. */
export function hostAllowed(req: IncomingMessage, bindHost: string, port: number): boolean {
  if (!isLoopback(bindHost)) return true;
  const host = req.headers.host ?? '';
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${bindHost}:${port}`].includes(host);
}

/** A state-changing request must come from the page itself. */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  return origin !== undefined && origin === `http://${req.headers.host}`;
}
