import { mkdir, rm } from 'node:fs/promises';
import type { ImageHeader } from '../dicom/file/image-headers.js';
import { writeDerivedSeries } from '../derive/write-derived-series.js';
import { openSeries, openSeriesFromHeaders } from '../imaging/load-series.js';
import type { SeriesDescriptor } from '../inference/accepts.js';
import type { StepSpec } from '../route/rule.js';
import { describeQuality, measureQuality, type QualityReport } from './quality-report.js';
import { createSteps, type StepRegistry } from './steps/index.js';
import type { SeriesData, Step, StepContext } from './steps/step.js';

export interface RunStepsInput {
  /** The series' files, or their headers when they were read already (offline processing). */
  source: { files: readonly string[] } | { headers: readonly ImageHeader[] };
  /** What the series is (modality, vendor, kernel), from the tags routing matched on. */
  series: SeriesDescriptor;
  steps: readonly StepSpec[];
  stepKinds: StepRegistry;
  stepContext: StepContext;
  outputDir: string;
  uidRoot: string;
  nodeName: string;
  clock: () => Date;
  /** Told when each step is set up and when the derived series is written, for visible job state. */
  onStepStarted?(index: number, step: Step): Promise<void>;
  /** Told as the derived slices are written (computing them is what takes the time). */
  onProgress?(written: number, total: number): Promise<void>;
}

export interface RunStepsResult {
  seriesInstanceUid: string;
  files: string[];
  steps: { label: string; derivation: string; report?: Record<string, unknown> }[];
  quality: QualityReport;
}

/**
 * Loads a series, applies a rule's steps in order and writes the derived series into outputDir
 * (emptied first, so a retry starts clean). Used by queued jobs and by offline processing alike.
 */
export async function runSteps(input: RunStepsInput): Promise<RunStepsResult> {
  const loaded = 'files' in input.source ? await openSeries([...input.source.files]) : await openSeriesFromHeaders(input.source.headers);
  const steps = await createSteps(input.steps, input.stepKinds, input.stepContext);
  try {
    let data: SeriesData = { source: loaded.source, series: input.series };
    for (const [index, step] of steps.entries()) {
      await input.onStepStarted?.(index, step);
      data = await step.apply(data);
    }
    const reports = steps.map((step) => step.report?.());
    const measured = await measureQuality(loaded.source, data.source, reports);
    await rm(input.outputDir, { recursive: true, force: true });
    await mkdir(input.outputDir, { recursive: true });
    const derived = await writeDerivedSeries({
      source: loaded,
      output: measured.output,
      comments: describeQuality(measured.report),
      onSliceWritten: input.onProgress,
      outputDir: input.outputDir,
      uidRoot: input.uidRoot,
      clock: input.clock,
      nodeName: input.nodeName,
      steps: steps.map((step) => ({ label: step.label, derivation: step.derivation, generated: step.generated })),
    });
    return {
      seriesInstanceUid: derived.seriesInstanceUid,
      files: derived.files,
      steps: steps.map((step, index) => ({ label: step.label, derivation: step.derivation, report: reports[index] })),
      quality: measured.report,
    };
  } finally {
    for (const step of steps) await step.close?.();
  }
}
