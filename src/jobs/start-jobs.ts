import type PgBoss from 'pg-boss';
import { processQueue, type ProcessJobData } from '../queue/queue.js';
import { workOn, type Working } from '../queue/work.js';
import { processJob, type ProcessingDeps } from './process-job.js';

/** Runs queued jobs in this process: `concurrency` at once (inference itself runs in worker threads). */
export function startJobs(boss: PgBoss, deps: ProcessingDeps, settings: { concurrency: number; pollingIntervalSeconds: number }): Promise<Working> {
  return workOn<ProcessJobData>(boss, processQueue, settings, (data, attempt) => processJob(data.jobId, deps, attempt));
}
