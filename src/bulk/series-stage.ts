import type { CurrentJob, SeriesProgress } from '../store/series-progress.js';
import { JobState, SeriesState } from '../store/states.js';

/** Where a series of a bulk run stands on the node, read from the node's own tables. */
export type SeriesStage =
  | { stage: 'absent' }
  | { stage: 'own-output' }
  | { stage: 'receiving'; instanceCount: number }
  | { stage: 'incomplete'; reason: string }
  | { stage: 'no-rule'; reason: string }
  | { stage: 'processing' }
  | { stage: 'done'; jobs: CurrentJob[] }
  | { stage: 'failed'; reason: string };

const SETTLED_JOB_STATES: readonly string[] = [JobState.Done, JobState.Failed, JobState.Superseded];

export function stageOf(progress: SeriesProgress | undefined, derived: boolean): SeriesStage {
  if (derived) return { stage: 'own-output' };
  if (!progress) return { stage: 'absent' };
  if (progress.state === SeriesState.Receiving) return { stage: 'receiving', instanceCount: progress.instanceCount };
  if (progress.state === SeriesState.Incomplete) return { stage: 'incomplete', reason: progress.incompleteReason ?? 'not whole' };
  const jobs = progress.jobs.filter((job) => job.state !== JobState.Superseded);
  if (jobs.length === 0) return { stage: 'no-rule', reason: progress.routing?.skippedReason ?? 'no rule matched' };
  if (!jobs.every((job) => SETTLED_JOB_STATES.includes(job.state))) return { stage: 'processing' };
  const failed = jobs.filter((job) => job.state === JobState.Failed);
  if (failed.length > 0) return { stage: 'failed', reason: failed.map((job) => `job ${job.id} (${job.ruleId}) failed: ${job.error ?? 'no reason recorded'}`).join('; ') };
  return { stage: 'done', jobs };
}

/**
 * Whether the series must be moved (again) from the PACS: the node lacks it, holds only part of
 * it (a move cut short, a series found incomplete, or fewer instances than the PACS counts now).
 */
export function needsMove(stage: SeriesStage, pacsInstanceCount: number | undefined, nodeInstanceCount: number | undefined): boolean {
  if (stage.stage === 'absent' || stage.stage === 'receiving' || stage.stage === 'incomplete') return true;
  if (stage.stage === 'own-output') return false;
  return pacsInstanceCount !== undefined && nodeInstanceCount !== undefined && pacsInstanceCount > nodeInstanceCount;
}

/** A stage the series stays in until something outside the run changes it. */
export function isSettled(stage: SeriesStage): boolean {
  return stage.stage !== 'receiving' && stage.stage !== 'processing';
}
