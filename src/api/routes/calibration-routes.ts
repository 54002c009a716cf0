import { Router } from 'express';
import type { ApiDeps } from '../api-deps.js';
import { calibrationSchema } from '../../calibrate/calibration.js';
import { recordAudit } from '../../store/audit-events.js';
import { getCalibration, listCalibrations, saveCalibration } from '../../store/calibrations.js';
import { describeIssues } from '../../validation.js';
import { apiActor } from '../audit-actor.js';
import { badRequest, notFound } from '../http-error.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * GET /api/calibrations: the site's kernel calibrations, newest first, each with its fitted curve,
 * fit quality and the series it came from; GET /api/calibrations/:id one; POST /api/calibrations
 * imports one (the JSON that ctprep calibrate writes).
 */
export function calibrationRoutes(deps: Pick<ApiDeps, 'db'>): Router {
  const router = Router({ caseSensitive: true });
  router.get('/calibrations', async (_req, res) => {
    res.json({ calibrations: await listCalibrations(deps.db) });
  });
  router.get('/calibrations/:id', async (req, res) => {
    const id = req.params.id;
    if (!UUID.test(id)) throw badRequest(`id: expected a calibration id (a UUID), got ${JSON.stringify(id)}`);
    const calibration = await getCalibration(deps.db, id);
    if (!calibration) throw notFound(`no calibration ${id}`);
    res.json(calibration);
  });
  router.post('/calibrations', async (req, res) => {
    const parsed = calibrationSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest(`not a calibration: ${describeIssues(parsed.error).join('; ')}`);
    const calibration = parsed.data;
    const stored = await saveCalibration(deps.db, calibration);
    if (stored) {
      await recordAudit(deps.db, { at: new Date(), actor: apiActor(req), action: 'calibration.imported', subject: calibration.id, detail: { sourceKernel: calibration.sourceKernel, targetKernel: calibration.targetKernel } });
    }
    res.status(stored ? 201 : 200).json(calibration);
  });
  return router;
}
