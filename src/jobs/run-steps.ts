import { mkdir, rm } from 'node:fs/promises';
import { openSeries } from '../imaging/load-series.js';
import type { SliceSource } from '../imaging/slice-source.js';
import { writeDerivedSeries } from '../derive/write-derived-series.js';
import { createSteps, type StepRegistry, type StepSpec } from './steps/index.js';
import type { SeriesDescriptor, Step, StepContext } from './steps/step.js';

export interface RunStepsInput {
  files: string[];
  steps: readonly StepSpec[];
  stepKinds: StepRegistry;
  stepContext: Omit<StepContext, 'series'>;
  outputDir: string;
  uidRoot: string;
  nodeName: string;
  clock: () => Date;
  /** Told when each step is set up and when the derived series is written, for visible job state. */
  onStepStarted?(index: number, step: Step): Promise<void>;
}

export interface RunStepsResult {
  seriesInstanceUid: string;
  files: string[];
  steps: { label: string; derivation: string; report?: Record<string, unknown> }[];
}

/**
 * Loads a series, applies a rule's steps in order and writes the derived series into outputDir
 * (emptied first, so a retry starts clean). Used by queued jobs and by offline processing alike.
 */
export async function runSteps(input: RunStepsInput): Promise<RunStepsResult> {
  const series = await openSeries(input.files);
  const steps = await createSteps(input.steps, input.stepKinds, {
    ...input.stepContext,
    series: describeSeries(series.instances[0]?.header ?? {}),
  });
  try {
    let output: SliceSource = series.source;
    for (const [index, step] of steps.entries()) {
      await input.onStepStarted?.(index, step);
      output = await step.apply(output);
    }
    await rm(input.outputDir, { recursive: true, force: true });
    await mkdir(input.outputDir, { recursive: true });
    const derived = await writeDerivedSeries({
      source: series,
      output,
      outputDir: input.outputDir,
      uidRoot: input.uidRoot,
      clock: input.clock,
      nodeName: input.nodeName,
      steps: steps.map((step) => ({ label: step.label, derivation: step.derivation, generated: step.generated })),
    });
    return {
      seriesInstanceUid: derived.seriesInstanceUid,
      files: derived.files,
      steps: steps.map((step) => ({ label: step.label, derivation: step.derivation, report: step.report?.() })),
    };
  } finally {
    for (const step of steps) await step.close?.();
  }
}

export function describeSeries(header: Record<string, unknown>): SeriesDescriptor {
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
  const kernel = header.ConvolutionKernel;
  return {
    modality: text(header.Modality) ?? '',
    manufacturer: text(header.Manufacturer),
    convolutionKernel: (Array.isArray(kernel) ? kernel : kernel === undefined ? [] : [kernel]).map(String),
  };
}
