import { Router } from 'express';
import { z } from 'zod';
import { describeIssues } from '../../validation.js';
import type { ApiDeps } from '../api-deps.js';
import { destinationsByName } from '../../store/destinations.js';
import { InvalidInputError } from '../../errors.js';
import { getDelivery, getJob, listJobs } from '../../store/job-queries.js';
import { pageQuery, stateQuery, uuidParam } from '../request-values.js';
import { jobStates } from '../../store/states.js';
import { badRequest, conflict, notFound } from '../http-error.js';
import { recordAudit } from '../../store/audit-events.js';
import { apiActor } from '../audit-actor.js';
import { withViewerLinks } from '../viewer-links.js';

/** The retry functions refuse with InvalidInputError (a job still running, say): that is a conflict. */
async function asConflict<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof InvalidInputError) throw conflict(error.message);
    throw error;
  }
}

const PREVIEW_WINDOWS = ['lung', 'mediastinal', 'bone'] as const;

/** A retry's body (optional): run the job's own copy of its rule (default) or the rule as it is now. */
export const retryBodySchema = z.strictObject({ rule: z.enum(['frozen', 'current']).default('frozen') });

function retryBody(body: unknown): z.infer<typeof retryBodySchema> {
  const parsed = retryBodySchema.safeParse(body ?? {});
  if (!parsed.success) throw badRequest(describeIssues(parsed.error, ['body']).join('; '));
  return parsed.data;
}

export function jobRoutes(deps: Pick<ApiDeps, 'db' | 'retryJob' | 'retryDelivery' | 'jobPreview'>): Router {
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
    res.json(withViewerLinks(job, job.studyInstanceUid, await destinationsByName(deps.db)));
  });
  router.get('/jobs/:id/preview.png', async (req, res) => {
    const id = uuidParam(req.params.id, 'id');
    const window = req.query.window ?? 'lung';
    if (typeof window !== 'string' || !(PREVIEW_WINDOWS as readonly string[]).includes(window)) {
      throw badRequest(`window: expected one of ${PREVIEW_WINDOWS.join(', ')}, got ${JSON.stringify(window)}`);
    }
    if (!deps.jobPreview) throw notFound('this node renders no previews');
    let png: Buffer | undefined;
    try {
      png = await deps.jobPreview(id, window as (typeof PREVIEW_WINDOWS)[number]);
    } catch (error) {
      if (error instanceof InvalidInputError) throw conflict(error.message);
      throw error;
    }
    if (!png) throw notFound(`no job ${id}`);
    res.type('png').set('Cache-Control', 'private, max-age=60').send(png);
  });
  router.post('/jobs/:id/retry', async (req, res) => {
    const id = uuidParam(req.params.id, 'id');
    const { rule } = retryBody(req.body);
    if (!(await getJob(deps.db, id))) throw notFound(`no job ${id}`);
    const runs = await asConflict(() => deps.retryJob(id, { currentRule: rule === 'current' }));
    await recordAudit(deps.db, { at: new Date(), actor: apiActor(req), action: 'job.retried', subject: id, detail: { rule, job: runs } });
    res.status(202).json(await getJob(deps.db, runs));
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
