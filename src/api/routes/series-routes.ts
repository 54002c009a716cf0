import { Router } from 'express';
import type { ApiDeps } from '../api-deps.js';
import { destinationsByName } from '../../store/destinations.js';
import { getSeries, listSeries } from '../../store/series-queries.js';
import { seriesUidParam } from '../request-values.js';
import { seriesQuery } from '../series-search.js';
import { conflict, notFound } from '../http-error.js';
import { InvalidInputError } from '../../errors.js';
import { recordAudit } from '../../store/audit-events.js';
import { apiActor } from '../audit-actor.js';
import { withViewerLinks } from '../viewer-links.js';

export function seriesRoutes(deps: Pick<ApiDeps, 'db' | 'routeAgain'>): Router {
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
    const destinations = await destinationsByName(deps.db);
    res.json({ ...series, jobs: series.jobs.map((job) => withViewerLinks(job, series.studyInstanceUid, destinations)) });
  });
  router.post('/series/:uid/route-again', async (req, res) => {
    const uid = seriesUidParam(req.params.uid, 'uid');
    let routed;
    try {
      routed = await deps.routeAgain(uid);
    } catch (error) {
      if (error instanceof InvalidInputError) throw conflict(error.message);
      throw error;
    }
    if (!routed) throw notFound(`no series ${uid}`);
    const summary = { generation: routed.generation, jobIds: routed.jobIds, matchedRuleIds: routed.decision.matched.map(({ rule }) => rule.id) };
    await recordAudit(deps.db, { at: new Date(), actor: apiActor(req), action: 'series.routed-again', subject: uid, detail: summary });
    res.status(202).json(summary);
  });
  return router;
}
