import { z } from 'zod';

/**
 * A site's measured kernel transfer: how one scanner model's sharper kernel relates to its softer
 * one, fitted on a natural pair (two reconstructions of one acquisition). The same shape is stored
 * in the database, served by the API and written as JSON under config/calibrations/.
 */
const qualitySchema = z.strictObject({
  /** On [-1150, 350] HU, against the softer reconstruction. */
  maeHu: z.number(),
  psnr: z.number(),
  ssim: z.number(),
  /** All body pixels, -1024..3071 HU. */
  maeFullHu: z.number(),
});

export const calibrationSchema = z.strictObject({
  id: z.string().uuid(),
  scanner: z.strictObject({ manufacturer: z.string(), modelName: z.string() }),
  sourceKernel: z.string().min(1),
  targetKernel: z.string().min(1),
  response: z
    .strictObject({
      frequenciesPerMm: z.array(z.number().nonnegative()).min(2),
      gains: z.array(z.number().finite()).min(2),
    })
    .superRefine(({ frequenciesPerMm: fs, gains }, context) => {
      if (fs[0] !== 0 || fs.some((f, i) => i > 0 && !(f > fs[i - 1]))) context.addIssue({ code: 'custom', path: ['frequenciesPerMm'], message: 'must start at 0 and increase' });
      if (gains.length !== fs.length) context.addIssue({ code: 'custom', path: ['gains'], message: `expected one gain per frequency (${fs.length}), got ${gains.length}` });
    }),
  residual: z.strictObject({
    /** Noise power spectrum (HU^2 mm^2) of the softer kernel that the transfer does not explain, at response.frequenciesPerMm. */
    npsHu2Mm2: z.array(z.number().nonnegative()),
    stdHu: z.number().nonnegative(),
  }),
  /** On slices held back from the fit: the sharper kernel as it is, and after the transfer. */
  fitQuality: z.strictObject({
    heldBackSlices: z.number().int().nonnegative(),
    input: qualitySchema.nullable(),
    transfer: qualitySchema.nullable(),
  }),
  provenance: z.strictObject({
    sourceSeriesInstanceUid: z.string(),
    targetSeriesInstanceUid: z.string(),
    studyInstanceUid: z.string().optional(),
    link: z.enum(['frame-of-reference', 'study', 'acquisition']),
    pixelSpacingMm: z.tuple([z.number().positive(), z.number().positive()]),
    slicesUsed: z.number().int().positive(),
    fittedAt: z.string().datetime(),
    /** How the slices were chosen, e.g. "every slice but every 4th" or "cranial half". */
    slices: z.string(),
  }),
});

export type Calibration = z.infer<typeof calibrationSchema>;
export type CalibrationQuality = z.infer<typeof qualitySchema>;

/** The words a job fails with when no calibration matches it; a new calibration retries such jobs. */
export const NO_CALIBRATION = 'no kernel calibration';

/** What a kernel-transfer step asks for. */
export interface CalibrationKey {
  readonly manufacturer: string;
  readonly modelName: string;
  readonly sourceKernel: string;
  /** Absent: the one target calibrated for this source, if there is exactly one. */
  readonly targetKernel?: string;
}

/** The key a series asks for: its scanner and its kernel (ConvolutionKernel values joined by \\). */
export function calibrationKeyOf(
  series: { readonly manufacturer?: string; readonly modelName?: string; readonly convolutionKernel: readonly string[] },
  targetKernel?: string,
): CalibrationKey {
  return { manufacturer: series.manufacturer?.trim() ?? '', modelName: series.modelName?.trim() ?? '', sourceKernel: series.convolutionKernel.join('\\'), targetKernel };
}

export function describeCalibration(calibration: Calibration): string {
  const { scanner, sourceKernel, targetKernel, provenance } = calibration;
  return `${scanner.manufacturer} ${scanner.modelName} ${sourceKernel}->${targetKernel} (calibration ${calibration.id.slice(0, 8)}, ${provenance.slicesUsed} slices, ${provenance.fittedAt.slice(0, 10)})`;
}

/** Calibrations carry six significant digits (far finer than any fit), in files and in the database alike. */
export function significant(value: number): number {
  return Number(value.toPrecision(6));
}
