import type { Queryable } from '../db/database.js';
import type { NodeMetrics } from '../metrics.js';
import { markStepDone, type StepRunResult } from '../store/job-steps.js';
import type { RunStepsResult } from './run-steps.js';

type RanStep = RunStepsResult['steps'][number];

/**
 * Where a step ran and which model, from its report: a model step (or a kernel transfer that fell
 * back on one) names the providers the inference engine actually ran it on and model id@version;
 * the classical steps run in this process, on the CPU.
 */
export function stepRunResult(step: RanStep): StepRunResult {
  const { backend, model } = step.report ?? {};
  return {
    finishedAt: step.timing.finishedAt,
    busySeconds: Number(step.timing.busySeconds.toFixed(3)),
    voxels: step.timing.voxels,
    backend: typeof backend === 'string' ? backend : 'cpu',
    model: typeof model === 'string' ? model : null,
  };
}

/** Records each step of a finished run and moves the step metrics (seconds, voxels per second) by kind and backend. */
export async function recordStepsDone(
  db: Queryable,
  job: { id: string; run: number; kinds: readonly string[] },
  steps: readonly RanStep[],
  metrics: NodeMetrics | undefined,
): Promise<void> {
  for (const [index, step] of steps.entries()) {
    const result = stepRunResult(step);
    await markStepDone(db, job.id, job.run, index, result);
    const labels = { kind: job.kinds[index], backend: result.backend ?? 'cpu' };
    metrics?.stepSeconds.observe(labels, result.busySeconds);
    if (result.busySeconds > 0) metrics?.stepVoxelsPerSecond.observe(labels, result.voxels / result.busySeconds);
  }
}
