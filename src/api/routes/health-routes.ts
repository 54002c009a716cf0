import { Router } from 'express';
import type { ApiDeps } from '../api-deps.js';
import { databaseAnswers } from '../../store/state-counts.js';

/** GET /api/health: 200 when the database answers, 503 when it does not; node info either way. */
export function healthRoutes(deps: Pick<ApiDeps, 'db' | 'node'>): Router {
  const router = Router({ caseSensitive: true });
  router.get('/health', async (_req, res) => {
    try {
      await databaseAnswers(deps.db);
      res.json({ status: 'ok', database: { kind: deps.node.databaseKind, reachable: true }, node: deps.node });
    } catch (error) {
      res.status(503).json({
        status: 'unavailable',
        database: { kind: deps.node.databaseKind, reachable: false, error: (error as Error).message },
        node: deps.node,
      });
    }
  });
  return router;
}
