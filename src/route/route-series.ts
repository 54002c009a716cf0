import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import type { Database, Queryable } from '../db/database.js';
import { routeSeries, type RouteDecision } from './match-rules.js';
import { seriesTagsFromHeader } from './series-tags.js';
import { isOwnOutput } from './own-output.js';
import { listRules } from '../store/rules.js';
import { enqueueIn, processQueue } from '../pipeline/queue.js';

export interface RoutingDeps {
  db: Database;
  boss: PgBoss;
  /** UID root of derived series; with 2.25 (UUID-derived UIDs) only the derived_series table tells. */
  uidRoot: string;
  /** Marker the node writes into DerivationDescription of its own output. */
  nodeName: string;
  clock: () => Date;
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
  return deps.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ tags: Record<string, unknown>; calling_ae: string; generation: number; state: string; instance_count: number }>(
      'SELECT tags, calling_ae, generation, state, instance_count FROM series WHERE series_instance_uid = $1 FOR UPDATE',
      [seriesInstanceUid],
    );
    const series = rows[0];
    if (!series || series.state !== 'receiving') return undefined;

    const recorded = await isRecordedAsDerived(tx, seriesInstanceUid);
    const tags = seriesTagsFromHeader(series.tags, series.calling_ae, isOwnOutput(series.tags, deps, recorded));
    const decision = routeSeries(await listRules(tx), tags);
    const now = deps.clock();

    await tx.query(
      `UPDATE series SET state = 'routed', routed_at = $2, routing = $3 WHERE series_instance_uid = $1`,
      [seriesInstanceUid, now, JSON.stringify(decision)],
    );
    await supersedeEarlierJobs(tx, seriesInstanceUid, series.generation, now);

    const jobIds: string[] = [];
    for (const { rule } of decision.matched) {
      const jobId = randomUUID();
      const steps = rule.steps.map((step) => ({ kind: step.kind, state: 'pending' }));
      await tx.query(
        `INSERT INTO jobs (id, series_instance_uid, series_generation, rule_id, rule, state, steps, instance_count, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, $8)`,
        [jobId, seriesInstanceUid, series.generation, rule.id, JSON.stringify(rule), JSON.stringify(steps), series.instance_count, now],
      );
      await enqueueIn(deps.boss, tx, processQueue, { jobId });
      jobIds.push(jobId);
    }
    return { seriesInstanceUid, generation: series.generation, jobIds, decision };
  });
}

async function isRecordedAsDerived(tx: Queryable, seriesInstanceUid: string): Promise<boolean> {
  const { rows } = await tx.query('SELECT 1 FROM derived_series WHERE series_instance_uid = $1', [seriesInstanceUid]);
  return rows.length > 0;
}

/** Jobs of an earlier generation stop where they are: a running one checks before it delivers. */
async function supersedeEarlierJobs(tx: Queryable, seriesInstanceUid: string, generation: number, now: Date): Promise<void> {
  await tx.query(
    `UPDATE jobs SET state = 'superseded', updated_at = $3,
       error = COALESCE(error, 'superseded: more instances of the series arrived after this job started')
     WHERE series_instance_uid = $1 AND series_generation < $2 AND state IN ('queued', 'running', 'delivering')`,
    [seriesInstanceUid, generation, now],
  );
  await tx.query(
    `UPDATE deliveries SET state = 'superseded', updated_at = $3
     WHERE state IN ('pending', 'sending') AND job_id IN
       (SELECT id FROM jobs WHERE series_instance_uid = $1 AND series_generation < $2)`,
    [seriesInstanceUid, generation, now],
  );
}
