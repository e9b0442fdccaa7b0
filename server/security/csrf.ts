// CSRF defence for every state-changing request. Browsers attach cached basic-auth credentials to
// cross-site requests, so the password alone proves nothing about where a POST came from.
// Two independent checks:
//   - a token bound to the credential: HMAC(server secret, Authorization header). It changes when the
//     password changes and is unknown to another site. Sent as the `_csrf` form field (plain forms,
//     JavaScript off) or the `X-CSRF-Token` header (htmx requests, through hx-headers).
//   - the request's Origin / Sec-Fetch-Site must say "same origin" when the browser sends them.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export function csrfToken(secret: Buffer, req: FastifyRequest): string {
  const credential = req.headers.authorization ?? '';
  return createHmac('sha256', secret).update('csrf\0').update(credential).digest('base64url');
}

function sameToken(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** Returns null when the request passes, otherwise the reason shown to the user (403). */
export function csrfProblem(secret: Buffer, req: FastifyRequest): string | null {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
    return `The request came from another site (Sec-Fetch-Site: ${site}) and was refused.`;
  }
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== 'null') {
    const own = `${req.protocol}://${req.headers.host ?? ''}`;
    if (origin !== own) return `The request came from ${origin}, not from this console (${own}), and was refused.`;
  } else if (origin === 'null') {
    return 'The request came from an opaque origin and was refused.';
  }
  const body = req.body as Record<string, unknown> | undefined;
  const fromHeader = req.headers['x-csrf-token'];
  const sent = typeof fromHeader === 'string' ? fromHeader : typeof body?._csrf === 'string' ? body._csrf : '';
  if (!sent) return 'The form has no security token. Reload the page and try again.';
  if (!sameToken(sent, csrfToken(secret, req))) {
    return 'The form has expired (the console restarted or the password changed). Reload the page and try again.';
  }
  return null;
}
