import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './http-error.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * With a token configured, answers only requests that carry `Authorization: Bearer <token>`
 * (Prometheus: `authorization: { credentials: <token> }`). It is router middleware: mounted in
 * front of the routes it guards, so Express's own path matching decides what it covers and no
 * spelling of a path (case, trailing slash, encoding) reaches a route around it. Digests are
 * compared in constant time so that the answer's timing does not leak the token.
 */
export function requireToken(token: string | undefined): RequestHandler {
  if (token === undefined) return (_req, _res, next) => next();
  const expected = digest(token);
  return (req, res, next) => {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (match && timingSafeEqual(digest(match[1]), expected)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="ct-preprocessing-node"');
    const message = match ? 'the API token is not the one this node was given' : 'this node asks for an API token: send Authorization: Bearer <token>';
    next(new HttpError(401, 'unauthorized', message));
  };
}
