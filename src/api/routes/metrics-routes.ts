import { Router } from 'express';
import type { Registry } from 'prom-client';

/** GET /metrics: the Prometheus text format; the database gauges are computed during the scrape. */
export function metricsRoutes(registry: Registry): Router {
  const router = Router({ caseSensitive: true });
  router.get('/', async (_req, res) => {
    const text = await registry.metrics();
    res.type(registry.contentType).send(text);
  });
  return router;
}
