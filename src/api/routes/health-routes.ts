import { statfs } from 'node:fs/promises';
import { Router } from 'express';
import type { ApiDeps, NodeInfo } from '../api-deps.js';
import { databaseAnswers } from '../../store/state-counts.js';

/** Below this many free bytes in a data folder the node is not ready: it could not keep what it receives. */
const READY_MIN_FREE_BYTES = 1024 ** 3;

/**
 * GET /api/health: 200 when the database answers, 503 when it does not; node info either way.
 * GET /api/health/live: 200 while the process answers (liveness: restart it when this fails).
 * GET /api/health/ready: 200 when the database answers and every data folder has 1 GiB free
 * (readiness: send it work), 503 naming what is not ready. All open, without the token, for probes.
 * Served by the node and by each `ctprep worker` (whose `node` describes the worker).
 */
export function healthRoutes(deps: Pick<ApiDeps, 'db' | 'diskPaths'> & { node: Pick<NodeInfo, 'databaseKind'> }): Router {
  const router = Router({ caseSensitive: true });
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'alive' });
  });
  router.get('/health/ready', async (_req, res) => {
    const problems: string[] = [];
    await databaseAnswers(deps.db).catch((error: Error) => problems.push(`database does not answer: ${error.message}`));
    for (const [folder, where] of Object.entries(deps.diskPaths ?? {})) {
      const stats = await statfs(where).catch(() => undefined);
      const free = stats ? Number(stats.bavail) * Number(stats.bsize) : undefined;
      if (free !== undefined && free < READY_MIN_FREE_BYTES) problems.push(`${folder}: ${(free / 1024 ** 2).toFixed(0)} MiB free, under 1 GiB`);
    }
    res.status(problems.length === 0 ? 200 : 503).json({ status: problems.length === 0 ? 'ready' : 'not ready', problems });
  });
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
