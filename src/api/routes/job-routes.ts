import { Router } from 'express';
import type { ApiDeps } from '../api-deps.js';
import { InvalidInputError } from '../../errors.js';
import { getDelivery, getJob, listJobs } from '../../store/job-queries.js';
import { pageQuery, stateQuery, uuidParam } from '../request-values.js';
import { jobStates } from '../../store/states.js';
import { conflict, notFound } from '../http-error.js';
import { recordAudit } from '../../store/audit-events.js';
import { apiActor } from '../audit-actor.js';

/** The retry functions refuse with InvalidInputError (a job still running, say): that is a conflict. */
async function asConflict(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof InvalidInputError) throw conflict(error.message);
    throw error;
  }
}

export function jobRoutes(deps: Pick<ApiDeps, 'db' | 'retryJob' | 'retryDelivery'>): Router {
  const router = Router({ caseSensitive: true });
  router.get('/jobs', async (req, res) => {
    const filter = { state: stateQuery(req.query.state, jobStates), ...pageQuery(req.query) };
    const { jobs, total } = await listJobs(deps.db, filter);
    res.json({ jobs, total, limit: filter.limit, offset: filter.offset });
  });
  router.get('/jobs/:id', async (req, res) => {
    const id = uuidParam(req.params.id, 'id');
    const job = await getJob(deps.db, id);
    if (!job) throw notFound(`no job ${id}`);
    res.json(job);
  });
  router.post('/jobs/:id/retry', async (req, res) => {
    const id = uuidParam(req.params.id, 'id');
    if (!(await getJob(deps.db, id))) throw notFound(`no job ${id}`);
    await asConflict(() => deps.retryJob(id));
    await recordAudit(deps.db, { at: new Date(), actor: apiActor(req), action: 'job.retried', subject: id });
    res.status(202).json(await getJob(deps.db, id));
  });
  router.post('/deliveries/:id/retry', async (req, res) => {
    const id = uuidParam(req.params.id, 'id');
    if (!(await getDelivery(deps.db, id))) throw notFound(`no delivery ${id}`);
    await asConflict(() => deps.retryDelivery(id));
    await recordAudit(deps.db, { at: new Date(), actor: apiActor(req), action: 'delivery.retried', subject: id });
    res.status(202).json(await getDelivery(deps.db, id));
  });
  return router;
}
