import { Router } from 'express';
import type { ApiDeps } from '../api-deps.js';
import { listAudit } from '../../store/audit-events.js';
import { badRequest } from '../http-error.js';
import { pageQuery } from '../request-values.js';

/** GET /api/audit: configuration changes, retries, rejected associations, instance conflicts; newest first. */
export function auditRoutes(deps: Pick<ApiDeps, 'db'>): Router {
  const router = Router({ caseSensitive: true });
  router.get('/audit', async (req, res) => {
    const action = req.query.action;
    if (action !== undefined && (typeof action !== 'string' || !/^[a-z]+\.[a-z-]+$/.test(action))) {
      throw badRequest(`action: expected an action name such as rule.saved, got ${JSON.stringify(action)}`);
    }
    const page = pageQuery(req.query);
    res.json({ ...(await listAudit(deps.db, { action: action as string | undefined, ...page })), ...page });
  });
  return router;
}
