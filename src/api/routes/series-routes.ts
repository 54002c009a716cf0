import { Router } from 'express';
import type { ApiDeps } from '../api-deps.js';
import { getSeries, listSeries } from '../../store/series-queries.js';
import { seriesUidParam } from '../request-values.js';
import { seriesQuery } from '../series-search.js';
import { notFound } from '../http-error.js';

export function seriesRoutes(deps: Pick<ApiDeps, 'db'>): Router {
  const router = Router({ caseSensitive: true });
  router.get('/series', async (req, res) => {
    const filter = seriesQuery(req.query as Record<string, unknown>);
    const { series, total } = await listSeries(deps.db, filter);
    res.json({ series, total, limit: filter.limit, offset: filter.offset });
  });
  router.get('/series/:uid', async (req, res) => {
    const uid = seriesUidParam(req.params.uid, 'uid');
    const series = await getSeries(deps.db, uid);
    if (!series) throw notFound(`no series ${uid}`);
    res.json(series);
  });
  return router;
}
