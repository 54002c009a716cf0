import { Router } from 'express';
import type { ApiDeps } from '../api-deps.js';
import { getSeries, listSeries } from '../../store/series-queries.js';
import { pageQuery, seriesUidParam, stateQuery } from '../request-values.js';
import { seriesStates } from '../../store/states.js';
import { notFound } from '../http-error.js';

export function seriesRoutes(deps: Pick<ApiDeps, 'db'>): Router {
  const router = Router({ caseSensitive: true });
  router.get('/series', async (req, res) => {
    const filter = { state: stateQuery(req.query.state, seriesStates), ...pageQuery(req.query) };
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
