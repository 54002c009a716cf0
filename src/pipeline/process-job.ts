import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import { isRetryable } from '../errors.js';
import type { StepRegistry } from './steps/index.js';
import type { StepContext } from './steps/step.js';
import { runSteps } from './run-steps.js';
import { claimJob, touchJob, updateJob, type StepState } from './job-state.js';
import { startHeartbeat, type Holder } from './heartbeat.js';
import { deliverQueue, enqueueIn } from './queue.js';

export interface ProcessingDeps {
  db: Database;
  boss: PgBoss;
  stepKinds: StepRegistry;
  stepContext: Omit<StepContext, 'series'>;
  derivedDir: string;
  uidRoot: string;
  nodeName: string;
  clock: () => Date;
  log: Logger;
  /** This process as the holder of the jobs it runs (heartbeats, taking over from dead ones). */
  holder: Holder;
}

export interface Attempt {
  retryCount: number;
  retryLimit: number;
}

/**
 * Runs one job: loads the series from the spool, applies the rule's steps, writes the derived
 * series and creates one delivery per destination. A retryable error is rethrown for the queue to
 * retry with backoff; any other error, or the last attempt's, fails the job with its message.
 */
export async function processJob(jobId: string, deps: ProcessingDeps, attempt: Attempt): Promise<void> {
  const job = await claimJob(deps.db, jobId, deps.holder, deps.clock());
  if (!job) return; // done, superseded, or held by a live worker
  const log = deps.log.child({ jobId, series: job.series_instance_uid, rule: job.rule_id, worker: deps.holder.workerId });
  const steps: StepState[] = job.rule.steps.map((spec) => ({ kind: spec.kind, state: 'pending' }));
  // Each attempt writes its own folder: a worker thought dead that still runs cannot mix its slices in.
  const jobDir = path.join(deps.derivedDir, jobId);
  const outputDir = path.join(jobDir, `attempt-${job.attempts}`);
  const save = (changes: Parameters<typeof updateJob>[2]) => updateJob(deps.db, jobId, changes, deps.clock(), deps.holder.workerId);
  const heartbeat = startHeartbeat(
    () => touchJob(deps.db, jobId, deps.holder.workerId, deps.clock()),
    deps.holder.heartbeatMs,
    (error) => log.warn({ err: error }, 'job heartbeat failed'),
  );

  await save({ steps });
  try {
    const result = await runSteps({
      files: await seriesFiles(deps.db, job.series_instance_uid),
      steps: job.rule.steps,
      stepKinds: deps.stepKinds,
      stepContext: deps.stepContext,
      outputDir,
      uidRoot: deps.uidRoot,
      nodeName: deps.nodeName,
      clock: deps.clock,
      async onStepStarted(index, step) {
        if (index > 0) steps[index - 1] = { ...steps[index - 1], state: 'done' };
        steps[index] = { ...steps[index], state: 'running', label: step.label, derivation: step.derivation };
        await save({ steps });
      },
    });
    result.steps.forEach((step, index) => {
      steps[index] = { ...steps[index], state: 'done', report: step.report };
    });
    const delivering = await startDeliveries(deps, jobId, job.rule.destinations, result.seriesInstanceUid, outputDir, steps);
    if (delivering) {
      log.info({ derivedSeries: result.seriesInstanceUid, instances: result.files.length }, 'derived series written');
      await removeOtherAttempts(jobDir, outputDir);
    } else log.info('job was superseded, or taken over, while it ran; its output is not delivered');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const running = steps.findIndex((step) => step.state === 'running');
    if (running >= 0) steps[running] = { ...steps[running], state: 'failed' };
    const willRetry = isRetryable(error) && attempt.retryCount < attempt.retryLimit;
    await save({ state: willRetry ? 'queued' : 'failed', steps, error: willRetry ? `attempt failed, will retry: ${message}` : message, finished_at: willRetry ? undefined : deps.clock() });
    log.warn({ err: error, willRetry }, 'job step failed');
    if (willRetry) throw error;
  } finally {
    heartbeat.stop();
  }
}

async function removeOtherAttempts(jobDir: string, kept: string): Promise<void> {
  for (const name of await readdir(jobDir).catch(() => [] as string[])) {
    const dir = path.join(jobDir, name);
    if (dir !== kept) await rm(dir, { recursive: true, force: true });
  }
}

async function seriesFiles(db: Database, seriesInstanceUid: string): Promise<string[]> {
  const { rows } = await db.query<{ path: string }>(
    'SELECT path FROM instances WHERE series_instance_uid = $1 ORDER BY instance_number NULLS LAST, sop_instance_uid',
    [seriesInstanceUid],
  );
  return rows.map((row) => row.path);
}

/** Records the derived series and queues its deliveries, unless the job was superseded meanwhile. */
async function startDeliveries(
  deps: ProcessingDeps,
  jobId: string,
  destinations: readonly string[],
  derivedSeriesUid: string,
  outputDir: string,
  steps: StepState[],
): Promise<boolean> {
  const now = deps.clock();
  return deps.db.transaction(async (tx) => {
    const updated = await updateJob(tx, jobId, { state: 'delivering', steps, derived_series_uid: derivedSeriesUid, output_dir: outputDir }, now, deps.holder.workerId);
    if (!updated) return false;
    await tx.query(
      `INSERT INTO derived_series (series_instance_uid, job_id, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (series_instance_uid) DO UPDATE SET job_id = EXCLUDED.job_id`,
      [derivedSeriesUid, jobId, now],
    );
    for (const destination of destinations) {
      // A job run again (retried by hand) sends again through its existing delivery rows.
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO deliveries (id, job_id, destination, state, created_at, updated_at)
         VALUES ($1, $2, $3, 'pending', $4, $4)
         ON CONFLICT (job_id, destination) DO UPDATE SET state = 'pending', last_error = NULL, updated_at = $4
         RETURNING id`,
        [randomUUID(), jobId, destination, now],
      );
      await enqueueIn(deps.boss, tx, deliverQueue, { deliveryId: rows[0]!.id });
    }
    return true;
  });
}
