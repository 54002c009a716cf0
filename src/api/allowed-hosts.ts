import type { RequestHandler } from 'express';
import { HttpError } from './http-error.js';

/** Host names every node answers to: this machine's own. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  try {
    return new URL(`http://${header}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Refuses requests whose Host header names another site. Without it a page on any site could
 * rebind its own name to 127.0.0.1 and read or change the node through the visitor's browser (the
 * browser then sends that site's name as Host). `names` are the extra host names the node is
 * reached by (a DNS name, an address); `undefined` accepts any name, for a node that asks for a
 * token and listens beyond this machine without a list of its names.
 */
export function allowedHosts(names: readonly string[] | undefined): RequestHandler {
  if (names === undefined) return (_req, _res, next) => next();
  const allowed = new Set([...LOOPBACK_NAMES, ...names.map((name) => hostName(name) ?? name.toLowerCase())]);
  return (req, _res, next) => {
    const name = hostName(req.headers.host);
    if (name !== undefined && (allowed.has(name) || /^127(\.\d{1,3}){3}$/.test(name))) return next();
    next(new HttpError(403, 'forbidden_host', `this node does not answer to the host name ${JSON.stringify(req.headers.host ?? '')}; add it to api.allowedHosts`));
  };
}
