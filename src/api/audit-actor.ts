import type { Request } from 'express';

/** Who asked, as the audit trail records it: the API and the caller's address. */
export function apiActor(req: Request): string {
  return `api ${req.socket.remoteAddress ?? 'unknown'}${req.headers.authorization ? ' (token)' : ''}`;
}
