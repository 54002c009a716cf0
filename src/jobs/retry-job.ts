import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import type { Database, Queryable } from '../db/database.js';
import { InvalidInputError } from '../errors.js';
import { enqueueIn, processQueue } from '../queue/queue.js';
import { seriesTagsFromHeader } from '../route/series-tags.js';
import { createJob, loadJob, lockJob, resetJobForRetry, supersedeJob } from '../store/jobs.js';
import { getVersionedRule } from '../store/rules.js';
import { lockSeriesToRoute } from '../store/series.js';
import { JobState } from '../store/states.js';

export interface RetryOptions {
  /** Run the rule as it is now (a new job superseding this one) instead of the job's own copy of it. */
  currentRule?: boolean;
}

/**
 * Runs a finished or failed job again from its spooled series (a person asked for it), or one
 * whose worker stopped answering (stuck). A job that is queued, running on a live worker, or was
 * superseded by a newer one, is not retried. Returns the id of the job that will run: the same
 * job, or with `currentRule` a new one made from the rule's current version.
 */
export async function retryJob(db: Database, boss: PgBoss, jobId: string, now: Date, staleMs: number, options: RetryOptions = {}): Promise<string> {
  return db.transaction(async (tx) => {
    const job = await lockJob(tx, jobId);
    if (!job) throw new InvalidInputError(`no job ${jobId}`);
    const silentMs = job.heartbeat_at ? now.getTime() - new Date(job.heartbeat_at).getTime() : Infinity;
    const stuck = job.state === JobState.Running && silentMs > staleMs;
    if (job.state === JobState.Running && !stuck) {
      throw new InvalidInputError(`job ${jobId} is running on ${job.worker ?? 'a worker'}, which answered ${Math.round(silentMs / 1000)} s ago`);
    }
    if (job.state !== JobState.Failed && job.state !== JobState.Done && !stuck) {
      throw new InvalidInputError(`job ${jobId} is ${job.state}; only failed, done or stuck jobs can be retried`);
    }
    if (options.currentRule) return retryWithCurrentRule(tx, boss, jobId, now);
    await resetJobForRetry(tx, jobId, now);
    await enqueueIn(boss, tx, processQueue, { jobId });
    return jobId;
  });
}

/** A new job of the same series and generation from the rule as it is now; the old one is superseded by it. */
async function retryWithCurrentRule(tx: Queryable, boss: PgBoss, jobId: string, now: Date): Promise<string> {
  const job = (await loadJob(tx, jobId))!;
  const found = await getVersionedRule(tx, job.rule_id);
  if (!found) throw new InvalidInputError(`rule ${job.rule_id} no longer exists: route the series again to apply the rules as they are now`);
  const series = await lockSeriesToRoute(tx, job.series_instance_uid);
  if (!series) throw new InvalidInputError(`series ${job.series_instance_uid} is no longer known`);
  if (series.generation !== job.series_generation) throw new InvalidInputError(`series ${job.series_instance_uid} was routed again since this job was made: retry one of its newer jobs`);
  if (series.files_removed_at) throw new InvalidInputError(`series ${job.series_instance_uid}: retention removed its files from the spool; send it again from the PACS`);
  const { version, ...rule } = found;
  const newId = randomUUID();
  await supersedeJob(tx, jobId, `superseded: retried as job ${newId} with rule ${rule.id} version ${version}`, now);
  const seriesTags = job.series_tags ?? seriesTagsFromHeader(series.tags, series.calling_ae, false);
  await createJob(tx, { id: newId, seriesInstanceUid: job.series_instance_uid, generation: job.series_generation, rule, seriesTags, instanceCount: job.instance_count, now });
  await enqueueIn(boss, tx, processQueue, { jobId: newId });
  return newId;
}
