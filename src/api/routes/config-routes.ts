import { Router } from 'express';
import type { ApiDeps } from '../api-deps.js';
import { notFound } from '../http-error.js';

/** Read-only views of configuration: destinations and (when a registry is given) models. */
export function configRoutes(deps: Pick<ApiDeps, 'destinations' | 'models'>): Router {
  const router = Router({ caseSensitive: true });
  router.get('/destinations', (_req, res) => {
    const destinations = Object.entries(deps.destinations)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, destination]) => ({ name, aeTitle: destination.aeTitle, host: destination.host, port: destination.port }));
    res.json({ destinations });
  });
  router.get('/models', async (_req, res) => {
    if (!deps.models) throw notFound('this node has no model registry configured');
    res.json({ models: await deps.models() });
  });
  return router;
}
