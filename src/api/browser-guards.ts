import type { RequestHandler } from 'express';
import { HttpError } from './http-error.js';

/**
 * Headers that keep the console's page to its own scripts and styles, and out of frames.
 * API answers are never cached: they show live state.
 */
export const securityHeaders: RequestHandler = (req, res, next) => {
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  if (req.path.startsWith('/api/')) res.setHeader('Cache-Control', 'no-store');
  next();
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/**
 * Without a token the API binds loopback only, and a browser on this machine would send any site's
 * request with no credentials to check: refuse changes a browser sends on behalf of another site's page, which would carry that site's Origin header. Behind a reverse proxy the
 * console's host arrives as X-Forwarded-Host; a page elsewhere cannot add that header without a
 * CORS preflight, which this API never grants.
 */
export const sameOriginWrites: RequestHandler = (req, _res, next) => {
  const origin = req.headers.origin;
  if (SAFE_METHODS.has(req.method) || origin === undefined) return next();
  const originHost = hostOf(origin);
  const ownHosts = [req.headers.host, req.headers['x-forwarded-host']].flat().filter((host) => host !== undefined);
  if (originHost === undefined || !ownHosts.includes(originHost)) {
    return next(new HttpError(403, 'forbidden_origin', `requests that change state must come from this console, not from ${origin}`));
  }
  next();
};
