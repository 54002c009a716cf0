import { mkdir, rm } from 'node:fs/promises';
import type { ImageHeader } from '../dicom/file/image-headers.js';
import { writeDerivedSeries } from '../derive/write-derived-series.js';
import { deliveredSource } from '../derive/delivered-source.js';
import { openSeries, openSeriesFromHeaders } from '../imaging/load-series.js';
import type { SliceSource } from '../imaging/slice-source.js';
import type { SeriesDescriptor } from '../inference/accepts.js';
import type { StepSpec } from '../route/rule.js';
import { PipelineMeter } from './pipeline-meter.js';
import { describeQuality, keepingSampledSlices, measureQuality, type QualityReport } from './quality-report.js';
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
  /** Told, before the error is thrown on, which step it came from (undefined: loading or writing the series). */
  onStepFailed?(index: number | undefined): void;
  /** Told as the derived slices are written (computing them is what takes the time). */
  onProgress?(written: number, total: number): Promise<void>;
}

/** When a step ran, and how long the job waited on its own work (see pipeline-meter.ts). */
export interface StepTiming {
  startedAt: Date;
  /** When it handed out its last slice. */
  finishedAt: Date;
  busySeconds: number;
  /** Voxels of its output. */
  voxels: number;
}

export interface RunStepsResult {
  seriesInstanceUid: string;
  files: string[];
  steps: { label: string; derivation: string; report?: Record<string, unknown>; timing: StepTiming }[];
  quality: QualityReport;
}

/**
 * Loads a series, applies a rule's steps in order and writes the derived series into outputDir
 * (emptied first, so a retry starts clean). Used by queued jobs and by offline processing alike.
 */
export async function runSteps(input: RunStepsInput): Promise<RunStepsResult> {
  const loaded = 'files' in input.source ? await openSeries([...input.source.files]) : await openSeriesFromHeaders(input.source.headers);
  const steps = await createSteps(input.steps, input.stepKinds, input.stepContext);
  const meter = new PipelineMeter(input.clock);
  const started: Date[] = [];
  const voxels: number[] = [];
  let applying: number | undefined;
  try {
    let data: SeriesData = { source: meter.wrap(loaded.source), series: input.series };
    let scaledFrom: SliceSource = loaded.source;
    for (const [index, step] of steps.entries()) {
      await input.onStepStarted?.(index, step);
      started.push(input.clock());
      const given = index > 0 ? keepingSampledSlices(data.source) : data.source;
      try {
        data = await step.apply({ ...data, source: given });
      } catch (error) {
        applying = index;
        throw error;
      }
      if (index > 0 && data.source.geometry.rows !== given.geometry.rows) scaledFrom = given;
      data = { ...data, source: meter.wrap(data.source) };
      voxels.push(data.source.geometry.rows * data.source.geometry.columns * data.source.sliceCount);
    }
    // What the steps know once applied (a kernel transfer's calibration), for the quality report,
    // measured on the output as its series will store it.
    const delivered = deliveredSource(loaded, data.source);
    const measured = await measureQuality(loaded.source, delivered, steps.map((step) => step.report?.()), scaledFrom);
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
    // Reports are read now that every slice is computed (a model's tiles, seconds and backend).
    const timing = (index: number): StepTiming => {
      const { busySeconds, lastSliceAt } = meter.timing(index + 1);
      return { startedAt: started[index], finishedAt: lastSliceAt ?? input.clock(), busySeconds, voxels: voxels[index] };
    };
    return {
      seriesInstanceUid: derived.seriesInstanceUid,
      files: derived.files,
      steps: steps.map((step, index) => ({ label: step.label, derivation: step.derivation, report: step.report?.(), timing: timing(index) })),
      quality: measured.report,
    };
  } catch (error) {
    // A step's slices are computed as the writer reads them: a failure in one surfaces in the writer.
    const stage = applying === undefined ? meter.failedStage() : applying + 1;
    input.onStepFailed?.(stage === undefined || stage === 0 ? undefined : stage - 1);
    throw error;
  } finally {
    for (const step of steps) await step.close?.();
  }
}
