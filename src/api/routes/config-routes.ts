import { performance } from 'node:perf_hooks';
import { Router } from 'express';
import type { ApiDeps } from '../api-deps.js';
import { badRequest, notFound } from '../http-error.js';
import { renderModelCard } from '../model-card.js';

/** Read-only views of configuration: destinations and (when a registry is given) models. */
export function configRoutes(deps: Pick<ApiDeps, 'destinations' | 'models' | 'modelCard' | 'echoDestination'>): Router {
  const router = Router({ caseSensitive: true });
  router.get('/destinations', (_req, res) => {
    const destinations = Object.entries(deps.destinations)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, destination]) => ({ name, aeTitle: destination.aeTitle, host: destination.host, port: destination.port }));
    res.json({ destinations });
  });
  router.post('/destinations/:name/echo', async (req, res) => {
    const name = req.params.name;
    if (!Object.hasOwn(deps.destinations, name)) throw notFound(`no destination ${JSON.stringify(name)}`);
    if (!deps.echoDestination) throw notFound('this node tests no destinations');
    const { aeTitle, host, port } = deps.destinations[name];
    const started = performance.now();
    try {
      await deps.echoDestination(name);
      res.json({ destination: name, aeTitle, host, port, ok: true, milliseconds: Math.round(performance.now() - started) });
    } catch (error) {
      res.json({ destination: name, aeTitle, host, port, ok: false, error: (error as Error).message });
    }
  });
  router.get('/models', async (_req, res) => {
    if (!deps.models) throw notFound('this node has no model registry configured');
    res.json({ models: await deps.models() });
  });
  router.get('/models/:id/card', async (req, res) => {
    const id = req.params.id;
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(id)) throw badRequest(`id: expected a model id, got ${JSON.stringify(id)}`);
    const card = deps.modelCard ? await deps.modelCard(id) : undefined;
    if (!card) throw notFound(`no model ${id}`);
    res.type('html').send(renderModelCard(card));
  });
  return router;
}
