// Security headers on every response, static files and errors included.
// The CSP allows no inline script or style: htmx is configured through a <meta name="htmx-config">
// (includeIndicatorStyles:false so it injects no <style>, allowEval:false) and our own JS is in public/.
import type { FastifyInstance } from 'fastify';

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function registerSecurityHeaders(app: FastifyInstance, opts: { tls: boolean }): void {
  app.addHook('onRequest', async (req, reply) => {
    reply.header('Content-Security-Policy', CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    // same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on same-site form posts,
    // which the CSRF check must refuse. Nothing leaks to other sites either way.
    reply.header('Referrer-Policy', 'same-origin');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    reply.header('Cross-Origin-Resource-Policy', 'same-origin');
    // Console pages carry the configuration and a CSRF token: never store them. Static files may be cached.
    reply.header('Cache-Control', req.url.startsWith('/static/') ? 'public, max-age=3600' : 'no-store');
    if (opts.tls) reply.header('Strict-Transport-Security', 'max-age=31536000');
  });
}
