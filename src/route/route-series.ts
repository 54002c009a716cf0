import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import type { Database, Queryable } from '../db/database.js';
import { InvalidInputError } from '../errors.js';
import type { Logger } from '../log.js';
import { routeSeries, type RouteDecision } from './match-rules.js';
import { seriesTagsFromHeader } from './series-tags.js';
import { isOwnOutput } from './own-output.js';
import { listRules } from '../store/rules.js';
import { createJob, supersedeEarlierJobs } from '../store/jobs.js';
import { isRecordedAsDerived, isWaitingToRoute, lockSeriesToRoute, markRouted, mergeSeriesTags, startNextGeneration, type SeriesToRoute } from '../store/series.js';
import { tagsReadAgain } from './tags-read-again.js';
import { SeriesState } from '../store/states.js';
import { enqueueIn, processQueue } from '../queue/queue.js';

export interface RoutingDeps {
  db: Database;
  boss: PgBoss;
  /** UID root of derived series; with 2.25 (UUID-derived UIDs) only the derived_series table tells. */
  uidRoot: string;
  /** Marker the node writes into DerivationDescription of its own output. */
  nodeName: string;
  clock: () => Date;
  log?: Logger;
}

export interface RoutedSeries {
  seriesInstanceUid: string;
  generation: number;
  jobIds: string[];
  decision: RouteDecision;
}

/**
 * Routes a complete series: matches the rules against its tags, records the decision on the series,
 * supersedes jobs of an earlier generation, and creates one job per matching rule. All of this and
 * the queue entries commit in one transaction. Returns undefined if the series was not waiting.
 */
export async function routeCompleteSeries(seriesInstanceUid: string, deps: RoutingDeps): Promise<RoutedSeries | undefined> {
  const routed = await routeInTransaction(seriesInstanceUid, deps);
  if (routed) {
    const { generation, jobIds, decision } = routed;
    deps.log?.info(
      { series: seriesInstanceUid, generation, jobs: jobIds.length, skipped: decision.skippedReason },
      jobIds.length > 0 ? 'series complete: jobs queued' : 'series complete: no rule matched',
    );
  }
  return routed;
}

/**
 * Routes a complete, routed series again by the rules as they are now (after a rule was fixed): as
 * its next generation, so the new jobs supersede the earlier ones. Refuses a series that is not
 * complete (InvalidInputError), and answers undefined for an unknown one.
 */
export async function routeSeriesAgain(seriesInstanceUid: string, deps: RoutingDeps, because = 'the series was routed again by the rules as they are now'): Promise<RoutedSeries | undefined> {
  const routed = await deps.db.transaction(async (tx) => {
    const series = await lockSeriesToRoute(tx, seriesInstanceUid);
    if (!series) return undefined;
    if (series.state !== SeriesState.Routed) throw new InvalidInputError(`series ${seriesInstanceUid} is ${series.state}: only a complete, routed series can be routed again`);
    if (series.files_removed_at) throw new InvalidInputError(`series ${seriesInstanceUid}: retention removed its files from the spool on ${series.files_removed_at.toISOString()}; send it again from the PACS`);
    const tags = await tagsReadAgain(tx, seriesInstanceUid, series.tags);
    await mergeSeriesTags(tx, seriesInstanceUid, tags);
    const generation = await startNextGeneration(tx, seriesInstanceUid);
    return routeLocked(tx, seriesInstanceUid, { ...series, tags, generation }, deps, because);
  });
  if (routed) deps.log?.info({ series: seriesInstanceUid, generation: routed.generation, jobs: routed.jobIds.length }, 'series routed again');
  return routed;
}

function routeInTransaction(seriesInstanceUid: string, deps: RoutingDeps): Promise<RoutedSeries | undefined> {
  return deps.db.transaction(async (tx) => {
    const series = await lockSeriesToRoute(tx, seriesInstanceUid);
    if (!isWaitingToRoute(series)) return undefined;
    return routeLocked(tx, seriesInstanceUid, series, deps, 'more instances of the series arrived after this job started');
  });
}

/** `because`: why jobs of an earlier generation, if any, are superseded. */
async function routeLocked(tx: Queryable, seriesInstanceUid: string, series: SeriesToRoute, deps: RoutingDeps, because: string): Promise<RoutedSeries> {
  const recorded = await isRecordedAsDerived(tx, seriesInstanceUid);
  const tags = seriesTagsFromHeader(series.tags, series.calling_ae, isOwnOutput(series.tags, deps, recorded));
  const decision = routeSeries(await listRules(tx), tags);
  const now = deps.clock();

  await markRouted(tx, seriesInstanceUid, decision, now);
  await supersedeEarlierJobs(tx, seriesInstanceUid, series.generation, now, because);

  const jobIds: string[] = [];
  for (const { rule } of decision.matched) {
    const jobId = randomUUID();
    await createJob(tx, { id: jobId, seriesInstanceUid, generation: series.generation, rule, seriesTags: tags, instanceCount: series.instance_count, now });
    await enqueueIn(deps.boss, tx, processQueue, { jobId });
    jobIds.push(jobId);
  }
  return { seriesInstanceUid, generation: series.generation, jobIds, decision };
}
