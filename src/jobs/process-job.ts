import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type PgBoss from 'pg-boss';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import type { StepRegistry } from './steps/index.js';
import type { StepContext } from './steps/step.js';
import { runSteps } from './run-steps.js';
import type { NodeMetrics } from '../metrics.js';
import type { QualityReport } from './quality-report.js';
import { claimJob, markJobDelivering, touchJob, updateJob, type StepState } from '../store/jobs.js';
import { createDeliveries } from '../store/deliveries.js';
import { seriesFiles } from '../store/instances.js';
import { beginStepRun, markStepRunning, markStepsFailed } from '../store/job-steps.js';
import { recordStepsDone } from './step-runs.js';
import { seriesTagsOfRow } from '../store/series.js';
import { describeSeries } from '../inference/accepts.js';
import { JobState, StepRunState } from '../store/states.js';
import { judgeFailure, type Attempt } from '../queue/retry-policy.js';
import { startHeartbeat, type Holder } from '../queue/heartbeat.js';
import { deliverQueue, enqueueIn } from '../queue/queue.js';

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
  metrics?: NodeMetrics;
}

/**
 * Runs one job: loads the series from the spool, applies the rule's steps, writes the derived
 * series and creates one delivery per destination. A retryable error is rethrown for the queue to
 * retry with backoff; any other error, or the last attempt's, fails the job with its message.
 */
/** A running job writes how far it is at most this often. */
const PROGRESS_EVERY_MS = 1000;

export async function processJob(jobId: string, deps: ProcessingDeps, attempt: Attempt): Promise<void> {
  const job = await claimJob(deps.db, jobId, deps.holder, deps.clock());
  if (!job) return; // done, superseded, or held by a live worker
  const log = deps.log.child({ jobId, series: job.series_instance_uid, rule: job.rule_id, worker: deps.holder.workerId });
  const steps: StepState[] = job.rule.steps.map((spec) => ({ kind: spec.kind, state: StepRunState.Pending }));
  // Each attempt writes its own folder: a worker thought dead that still runs cannot mix its slices in.
  const jobDir = path.join(deps.derivedDir, jobId);
  const outputDir = path.join(jobDir, `attempt-${job.attempts}`);
  const save = (changes: Parameters<typeof updateJob>[2]) => updateJob(deps.db, jobId, changes, deps.clock(), deps.holder.workerId);
  const heartbeat = startHeartbeat(
    () => touchJob(deps.db, jobId, deps.holder.workerId, deps.clock()),
    deps.holder.heartbeatMs,
    (error) => log.warn({ err: error }, 'job heartbeat failed'),
  );

  await save({ steps, progress: null });
  const kinds = job.rule.steps.map((spec) => spec.kind);
  const run = await beginStepRun(deps.db, jobId, kinds);
  let failedStep: number | undefined;
  const rule = { rule: job.rule_id };
  let lastProgress = 0;
  deps.metrics?.jobs.inc({ ...rule, outcome: 'started' });
  const stopTimer = deps.metrics?.jobSeconds.startTimer({ ...rule, steps: job.rule.steps.map((step) => step.kind).join('+') });
  try {
    const result = await runSteps({
      source: { files: await seriesFiles(deps.db, job.series_instance_uid) },
      series: describeSeries(job.series_tags ?? (await seriesTagsOfRow(deps.db, job.series_instance_uid))),
      steps: job.rule.steps,
      stepKinds: deps.stepKinds,
      stepContext: deps.stepContext,
      outputDir,
      uidRoot: deps.uidRoot,
      nodeName: deps.nodeName,
      clock: deps.clock,
      async onProgress(done, total) {
        const now = deps.clock();
        if (done < total && now.getTime() - lastProgress < PROGRESS_EVERY_MS) return;
        lastProgress = now.getTime();
        await save({ progress: { done, total, at: now.toISOString() } });
      },
      async onStepStarted(index, step) {
        if (index > 0) steps[index - 1] = { ...steps[index - 1], state: StepRunState.Done };
        steps[index] = { ...steps[index], state: StepRunState.Running, label: step.label, derivation: step.derivation };
        await save({ steps });
        await markStepRunning(deps.db, jobId, run, index, step.label, deps.clock());
      },
      onStepFailed(index) {
        failedStep = index;
      },
    });
    result.steps.forEach((step, index) => {
      steps[index] = { ...steps[index], state: StepRunState.Done, report: step.report };
    });
    stopTimer?.();
    deps.metrics?.jobs.inc({ ...rule, outcome: 'succeeded' });
    deps.metrics?.slicesWritten.inc(rule, result.files.length);
    await recordStepsDone(deps.db, { id: jobId, run, kinds }, result.steps, deps.metrics);
    const delivering = await startDeliveries(deps, jobId, job.rule.destinations, { derivedSeriesUid: result.seriesInstanceUid, outputDir, steps, quality: result.quality });
    if (delivering) {
      log.info({ derivedSeries: result.seriesInstanceUid, instances: result.files.length }, 'derived series written');
      await removeOtherAttempts(jobDir, outputDir);
    } else log.info('job was superseded, or taken over, while it ran; its output is not delivered');
  } catch (error) {
    const verdict = judgeFailure(error, attempt);
    deps.metrics?.jobs.inc({ ...rule, outcome: verdict.retry ? 'retried' : 'failed' });
    steps.forEach((step, index) => {
      if (index === failedStep || step.state === StepRunState.Running) steps[index] = { ...step, state: StepRunState.Failed };
    });
    await markStepsFailed(deps.db, jobId, run, { index: failedStep, error: verdict.message, errorClass: verdict.kind, at: deps.clock() });
    await save({
      state: verdict.retry ? JobState.Queued : JobState.Failed,
      steps,
      error: verdict.retry ? `attempt failed, will retry: ${verdict.message}` : verdict.message,
      error_class: verdict.kind,
      finished_at: verdict.retry ? undefined : deps.clock(),
    });
    if (verdict.kind === 'bug') log.error({ err: error }, 'job failed on a bug');
    else log.warn({ err: error, willRetry: verdict.retry }, 'job step failed');
    if (verdict.retry) throw error;
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

/** Records the derived series and queues its deliveries, unless the job was superseded or taken over meanwhile. */
async function startDeliveries(
  deps: ProcessingDeps,
  jobId: string,
  destinations: readonly string[],
  written: { derivedSeriesUid: string; outputDir: string; steps: StepState[]; quality: QualityReport },
): Promise<boolean> {
  const now = deps.clock();
  return deps.db.transaction(async (tx) => {
    if (!(await markJobDelivering(tx, jobId, written, now, deps.holder.workerId))) return false;
    for (const deliveryId of await createDeliveries(tx, jobId, destinations, now)) await enqueueIn(deps.boss, tx, deliverQueue, { deliveryId });
    return true;
  });
}
