import { Router } from 'express';
import type { ApiDeps } from '../api-deps.js';
import { badRequest, notFound } from '../http-error.js';
import { renderModelCard } from '../model-card.js';

/** Read-only views of the model registry (when one is given): manifests and model cards. */
export function configRoutes(deps: Pick<ApiDeps, 'models' | 'modelCard'>): Router {
  const router = Router({ caseSensitive: true });
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
