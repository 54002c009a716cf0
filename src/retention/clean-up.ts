import { readdir, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import type { NodeMetrics } from '../metrics.js';
import { jobOutputsToRemove, markJobOutputRemoved, markSeriesFilesRemoved, seriesFilesToRemove } from '../store/retention.js';

export interface RetentionSettings {
  readonly derivedHours: number;
  readonly spoolHours: number;
  readonly highWaterPercent: number;
}

export interface RetentionDeps {
  readonly db: Database;
  /** The spool folder of a series (ingest/spool.ts). */
  seriesDir(seriesInstanceUid: string): string;
  /** The file system whose fullness the high-water mark watches. */
  readonly dataDir: string;
  readonly clock: () => Date;
  readonly log: Logger;
  readonly metrics?: NodeMetrics;
}

export interface CleanUpResult {
  derivedRemoved: number;
  seriesRemoved: number;
  bytes: number;
}

const BATCH = 100;
const HOUR_MS = 3600_000;

/**
 * One pass of retention: by age first (derived files of delivered jobs, then spool files of series
 * whose every job is delivered), then, while the disk is fuller than the high-water mark, the
 * oldest such items whatever their age. What is still to be delivered or retried is never touched.
 */
export async function cleanUp(deps: RetentionDeps, settings: RetentionSettings): Promise<CleanUpResult> {
  const result: CleanUpResult = { derivedRemoved: 0, seriesRemoved: 0, bytes: 0 };
  const now = deps.clock();
  const ago = (hours: number) => new Date(now.getTime() - hours * HOUR_MS);
  if (settings.derivedHours > 0) await removeJobOutputs(deps, ago(settings.derivedHours), Number.POSITIVE_INFINITY, result);
  if (settings.spoolHours > 0) await removeSeriesFiles(deps, ago(settings.spoolHours), Number.POSITIVE_INFINITY, result);
  while ((await usedPercent(deps.dataDir)) > settings.highWaterPercent) {
    const before = result.derivedRemoved + result.seriesRemoved;
    await removeJobOutputs(deps, now, 10, result);
    if (result.derivedRemoved + result.seriesRemoved === before) await removeSeriesFiles(deps, now, 10, result);
    if (result.derivedRemoved + result.seriesRemoved === before) {
      deps.log.warn({ highWaterPercent: settings.highWaterPercent }, 'disk above the high-water mark and nothing delivered is left to remove');
      break;
    }
  }
  if (result.bytes > 0) deps.log.info(result, 'retention removed delivered files');
  return result;
}

async function removeJobOutputs(deps: RetentionDeps, before: Date, most: number, result: CleanUpResult): Promise<void> {
  for (let removed = 0; removed < most; ) {
    const batch = await jobOutputsToRemove(deps.db, before, Math.min(BATCH, most - removed));
    if (batch.length === 0) return;
    for (const { id, outputDir } of batch) {
      // Each attempt writes derived/<job>/attempt-N: the job's folder goes.
      const bytes = await removeFolder(path.dirname(outputDir));
      await markJobOutputRemoved(deps.db, id, deps.clock());
      deps.metrics?.retentionRemovedBytes.inc({ kind: 'derived' }, bytes);
      result.bytes += bytes;
      result.derivedRemoved += 1;
      removed += 1;
    }
  }
}

async function removeSeriesFiles(deps: RetentionDeps, before: Date, most: number, result: CleanUpResult): Promise<void> {
  for (let removed = 0; removed < most; ) {
    const batch = await seriesFilesToRemove(deps.db, before, Math.min(BATCH, most - removed));
    if (batch.length === 0) return;
    for (const uid of batch) {
      const bytes = await removeFolder(deps.seriesDir(uid));
      await markSeriesFilesRemoved(deps.db, uid, deps.clock());
      deps.metrics?.retentionRemovedBytes.inc({ kind: 'spool' }, bytes);
      result.bytes += bytes;
      result.seriesRemoved += 1;
      removed += 1;
    }
  }
}

/** Removes a folder; returns the bytes its files held (0 when it was gone already). */
async function removeFolder(folder: string): Promise<number> {
  let bytes = 0;
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isFile()) bytes += (await stat(path.join(entry.parentPath, entry.name)).catch(() => ({ size: 0 }))).size;
  await rm(folder, { recursive: true, force: true });
  return bytes;
}

async function usedPercent(folder: string): Promise<number> {
  const stats = await statfs(folder);
  return 100 * (1 - Number(stats.bavail) / Number(stats.blocks));
}
