import type PgBoss from 'pg-boss';
import type { Database } from '../db/database.js';
import { readImageHeaders } from '../dicom/file/image-headers.js';
import type { Logger } from '../log.js';
import { calibrateQueue, type CalibrateJobData } from '../queue/queue.js';
import { workOn, type Working } from '../queue/work.js';
import { recordAudit } from '../store/audit-events.js';
import { jobsAwaitingCalibration, naturalPairCandidates, saveCalibration, seriesToRedoWithCalibration } from '../store/calibrations.js';
import { seriesFiles } from '../store/instances.js';
import { calibratePair } from './calibrate-pair.js';
import { describeCalibration, NO_CALIBRATION } from './calibration.js';

export interface CalibrationDeps {
  db: Database;
  boss: PgBoss;
  clock: () => Date;
  log: Logger;
  /** Runs a failed job again (jobs/retry-job.ts, handed in: jobs come after calibration). */
  retryJob(jobId: string): Promise<unknown>;
  /** Routes a complete series again as its next generation (route/route-series.ts); `because` is recorded on the jobs it supersedes. */
  routeAgain(seriesInstanceUid: string, because: string): Promise<unknown>;
}

/** After a series is complete: queues a calibration for each series that may be its natural pair. */
export async function queueNaturalPairs(db: Database, boss: PgBoss, seriesInstanceUid: string): Promise<number> {
  const candidates = await naturalPairCandidates(db, seriesInstanceUid);
  for (const other of candidates) {
    const pair = [seriesInstanceUid, other].sort() as [string, string];
    await boss.send(calibrateQueue, { seriesInstanceUids: pair } satisfies CalibrateJobData, { singletonKey: pair.join('+') });
  }
  return candidates.length;
}

/** Runs queued calibrations in this process, one at a time. */
export function startCalibrations(deps: CalibrationDeps, settings: { pollingIntervalSeconds: number }): Promise<Working> {
  return workOn<CalibrateJobData>(deps.boss, calibrateQueue, { concurrency: 1, ...settings }, (data) => calibrateSeries(data, deps));
}

/**
 * Fits the kernel transfer of two series when they are a natural pair, stores it, retries the jobs
 * that refused for want of it and routes again the series of that acquisition that a fallback
 * made; when they are not a pair, records why in the audit trail.
 */
export async function calibrateSeries({ seriesInstanceUids }: CalibrateJobData, deps: CalibrationDeps): Promise<void> {
  const [a, b] = await Promise.all(seriesInstanceUids.map(async (uid) => (await Promise.all((await seriesFiles(deps.db, uid)).map(readImageHeaders))).flat()));
  const outcome = await calibratePair(a, b, deps.clock());
  const subject = seriesInstanceUids.join(' + ');
  if (outcome.kind === 'refused') {
    deps.log.info({ series: seriesInstanceUids, reason: outcome.reason }, 'series are not a natural pair: no calibration');
    await recordAudit(deps.db, { at: deps.clock(), actor: 'node', action: 'calibration.refused', subject, detail: { reason: outcome.reason } });
    return;
  }
  const { calibration } = outcome;
  await saveCalibration(deps.db, calibration);
  await recordAudit(deps.db, { at: deps.clock(), actor: 'node', action: 'calibration.fitted', subject, detail: { calibration: calibration.id, fitQuality: calibration.fitQuality } });
  deps.log.info({ calibration: calibration.id, fit: calibration.fitQuality.transfer }, `calibrated ${describeCalibration(calibration)}`);
  // Asked before the refused jobs are retried, so that a retried job a worker has already taken is not among them.
  const redo = await seriesToRedoWithCalibration(deps.db, calibration);
  for (const jobId of await jobsAwaitingCalibration(deps.db, calibration, NO_CALIBRATION)) {
    await deps.retryJob(jobId);
    await recordAudit(deps.db, { at: deps.clock(), actor: 'node', action: 'job.retried', subject: jobId, detail: { because: `calibration ${calibration.id}` } });
  }
  // The sharp series of a pair usually completes first, and the rule's fallback ran on it before its
  // soft partner arrived: its derived series is made again with the calibration of its own acquisition.
  for (const seriesInstanceUid of redo) {
    try {
      await deps.routeAgain(seriesInstanceUid, `calibration ${calibration.id} of its own acquisition was fitted`);
    } catch (error) {
      deps.log.warn({ err: error, series: seriesInstanceUid, calibration: calibration.id }, 'could not route the series again with the new calibration');
      continue;
    }
    await recordAudit(deps.db, { at: deps.clock(), actor: 'node', action: 'series.routed-again', subject: seriesInstanceUid, detail: { because: `calibration ${calibration.id}` } });
  }
}

