import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './http-error.js';

/** Paths anyone may read: the console's own files and the liveness probe. */
function isOpen(method: string, path: string): boolean {
  if (path === '/api/health' && (method === 'GET' || method === 'HEAD')) return true;
  return !path.startsWith('/api/') && path !== '/api' && path !== '/metrics';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * With a token configured, the API and /metrics answer only requests that carry
 * `Authorization: Bearer <token>` (Prometheus: `authorization: { credentials: <token> }`). Digests
 * are compared in constant time so that the answer's timing does not leak the token.
 */
export function requireToken(token: string | undefined): RequestHandler {
  if (token === undefined) return (_req, _res, next) => next();
  const expected = digest(token);
  return (req, res, next) => {
    if (isOpen(req.method, req.path)) return next();
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (match && timingSafeEqual(digest(match[1]), expected)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="ct-preprocessing-node"');
    const message = match ? 'the API token is not the one this node was given' : 'this node asks for an API token: send Authorization: Bearer <token>';
    next(new HttpError(401, 'unauthorized', message));
  };
}
