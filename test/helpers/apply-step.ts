import type { SliceSource } from '../../src/imaging/slice-source.js';
import type { SeriesDescriptor } from '../../src/inference/accepts.js';
import type { Step } from '../../src/jobs/steps/step.js';

/** A sharp Siemens chest CT, as routing would describe it to a step. */
export const SHARP_SIEMENS_CT: SeriesDescriptor = { modality: 'CT', manufacturer: 'SIEMENS', convolutionKernel: ['B70f'] };

/** A step's output slices for a series (described as a sharp Siemens CT unless told otherwise). */
export async function applyStep(step: Step, source: SliceSource, series: SeriesDescriptor = SHARP_SIEMENS_CT): Promise<SliceSource> {
  return (await step.apply({ source, series })).source;
}
