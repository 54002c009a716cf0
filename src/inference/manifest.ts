import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { describeIssues } from '../validation.js';
import { KERNEL_FAMILIES } from '../route/kernel-taxonomy.js';

/**
 * The manifest beside each model's ONNX file (models/<id>/manifest.json): what the model does, the
 * series it accepts, and how to tile it. Checked when the model is loaded, not when a job fails.
 */
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const huWindow = z
  .tuple([z.number(), z.number()])
  .refine(([low, high]) => high > low, 'huWindow must be [low, high] with high > low');

export const manifestSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'id: lower-case letters, digits, ".", "_" and "-"'),
    version: z.string().min(1),
    /** 'untrained-random-weights' marks benchmark stand-ins that must never be routed to by default. */
    status: z.enum(['trained', 'untrained-random-weights', 'test-fixture']),
    task: z.enum(['harmonize', 'superres']),
    description: z.string().optional(),
    file: z.string().min(1),
    /** Path of the model card (README.md) relative to the model folder. */
    modelCard: z.string().optional(),
    /** Tag for the derived SeriesDescription, e.g. "SOFT-GAN" or "SR2X-GAN". */
    seriesLabel: z.string().optional(),
    tensors: z.object({ input: z.string().min(1), output: z.string().min(1) }),
    /** 2d: NCHW with C=1. 2.5d: NCHW with C = 2*neighbourSlices+1 slices, centre slice in the middle. 3d: NCDHW, C=1. */
    dimensionality: z.enum(['2d', '2.5d', '3d']),
    neighbourSlices: nonNegativeInt.default(0),
    accepts: z.object({
      modalities: z.array(z.string().min(1)).min(1),
      /** Kernel families accepted (route/kernel-taxonomy); a series matches by family or by kernels. */
      kernelFamilies: z.array(z.enum(KERNEL_FAMILIES)).optional(),
      kernels: z.array(z.string().min(1)).optional(),
      /** [rows, columns] pairs; absent means any matrix. */
      matrixSizes: z.array(z.tuple([positiveInt, positiveInt])).optional(),
      /** Inclusive range of both PixelSpacing values, in mm. */
      pixelSpacingMm: z.tuple([z.number().positive(), z.number().positive()]).optional(),
    }),
    output: z.object({
      /** Kernel of a harmonizer's output; absent: the kernel the series had before the step (a refinement). */
      targetKernel: z.string().optional(),
      /** Kernel family of the output (harmonization), so a chained step can check it. */
      kernelFamily: z.enum(KERNEL_FAMILIES).optional(),
      scale: z.object({ inPlane: z.union([z.literal(1), z.literal(2)]), z: z.union([z.literal(1), z.literal(2)]) }),
    }),
    normalization: z.object({
      huWindow,
      /**
       * The classical counterpart that carries the input outside huWindow (bone, contrast, the
       * -2048 outside a reconstruction circle) to the output: see inference/outside-window.ts.
       * matched-gaussian: the in-plane Gaussian that best reproduces the model's own output inside
       * the window, fitted per slice (harmonizers); gaussian: a fixed sigma; interpolate: bicubic
       * in-plane and linear in z at the model's scale (super-resolution; identity at scale 1);
       * pass-through: the input itself (a model that refines the output of the step before it, such
       * as generator v3 after kernel-transfer; geometry kept).
       */
      outsideWindow: z.discriminatedUnion('method', [
        z.strictObject({
          method: z.literal('matched-gaussian'),
          sigmaRangeMm: z
            .tuple([z.number().positive(), z.number().positive()])
            .refine(([a, b]) => b > a, 'sigmaRangeMm must be [low, high] with high > low')
            .default([0.2, 3]),
        }),
        z.strictObject({ method: z.literal('gaussian'), sigmaMm: z.number().positive().finite() }),
        z.strictObject({ method: z.literal('interpolate') }),
        z.strictObject({
          method: z.literal('pass-through'),
          /**
           * The input passes through from this HU up, inside the window too (blended over the
           * margin below it): the model's correction is used only under it, and bone and dense
           * contrast stay the step before's. Absent: the window's upper edge.
           */
          aboveHu: z.number().finite().optional(),
          /**
           * The correction is used inside the patient's body only (imaging/body-mask.ts: the largest
           * region above -500 HU with its holes filled, plus a few pixels, faded out over a few more):
           * the air around the patient, the table and the padding stay the step before's.
           */
          bodyOnly: z.boolean().optional(),
        }),
      ]),
    }),
    /** Receptive-field radius in input pixels (in-plane) and input slices (z, 3d only). */
    receptiveField: z.object({ inPlane: nonNegativeInt, z: nonNegativeInt }),
    /** Context added around each tile on every side; must cover the receptive field. */
    halo: z.object({ inPlane: nonNegativeInt, z: nonNegativeInt }),
    /**
     * Preferred tile in input pixels: an edge, or [rows, columns] (full-width strips pay the halo
     * only between strips); z = output slices per slab (3d).
     */
    tile: z.object({ inPlane: z.union([positiveInt, z.tuple([positiveInt, positiveInt])]), z: positiveInt.default(1) }),
    /** Most tiles sent in one run call. */
    batch: positiveInt.default(4),
    /** How the image is extended beyond its edges, identically for tiled and whole-image runs. */
    padding: z.enum(['reflect', 'replicate']).default('reflect'),
    training: z
      .object({ data: z.string().optional(), metrics: z.record(z.string(), z.unknown()).optional() })
      .optional(),
    /**
     * The step whose output this model was trained to correct (generator v3: the kernel transfer;
     * v3_blind: the blind Gaussian): the node runs it only as that step's refine, never on a series
     * straight, which it has never seen.
     */
    refines: z.enum(['kernel-transfer', 'gaussian-soften']).optional(),
    /**
     * The calibration a refinement was trained for (generator v3 trained on one scanner's natural
     * pair, after that calibration's transfer): kernel-transfer's refine "per-calibration" runs it
     * on the series that calibration harmonizes, and on no other.
     */
    calibration: z
      .strictObject({ manufacturer: z.string(), modelName: z.string(), sourceKernel: z.string().min(1), targetKernel: z.string().min(1) })
      .optional(),
  })
  .superRefine((m, ctx) => {
    const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (m.halo.inPlane < m.receptiveField.inPlane) {
      issue(['halo', 'inPlane'], `halo ${m.halo.inPlane} is smaller than the receptive field ${m.receptiveField.inPlane}: tiles would show seams`);
    }
    if (m.halo.z < m.receptiveField.z) {
      issue(['halo', 'z'], `halo ${m.halo.z} is smaller than the receptive field ${m.receptiveField.z} in z`);
    }
    if (m.dimensionality !== '3d' && (m.halo.z !== 0 || m.receptiveField.z !== 0 || m.output.scale.z !== 1)) {
      issue(['dimensionality'], `a ${m.dimensionality} model has no z halo, z receptive field or z scale (2.5d context is neighbourSlices)`);
    }
    if (m.dimensionality !== '2.5d' && m.neighbourSlices !== 0) {
      issue(['neighbourSlices'], 'neighbourSlices applies to 2.5d models only');
    }
    if (m.dimensionality === '2.5d' && m.neighbourSlices === 0) {
      issue(['neighbourSlices'], 'a 2.5d model needs neighbourSlices >= 1');
    }
    if (m.dimensionality !== '3d' && m.tile.z !== 1) issue(['tile', 'z'], 'tile.z applies to 3d models only');
    const counterpart = m.normalization.outsideWindow;
    if (counterpart.method === 'pass-through' && counterpart.aboveHu !== undefined) {
      const [low, high] = m.normalization.huWindow;
      if (!(counterpart.aboveHu > low && counterpart.aboveHu <= high)) issue(['normalization', 'outsideWindow', 'aboveHu'], `aboveHu ${counterpart.aboveHu} must lie in the HU window (${low}, ${high}]`);
    }
    if (m.calibration && m.refines !== undefined && m.refines !== 'kernel-transfer') {
      issue(['refines'], 'a model trained for a calibration refines that calibration\'s kernel-transfer');
    }
    if (m.calibration && (m.task !== 'harmonize' || m.normalization.outsideWindow.method !== 'pass-through')) {
      issue(['calibration'], 'only a harmonizer that refines a transfer (outsideWindow pass-through) is trained for a calibration');
    }
    const scaled = m.output.scale.inPlane !== 1 || m.output.scale.z !== 1;
    if (m.normalization.outsideWindow.method !== 'interpolate' && scaled) {
      issue(['normalization', 'outsideWindow', 'method'], 'a Gaussian counterpart keeps the geometry; a model that changes the scale needs interpolate');
    }
  });

export type ModelManifest = z.infer<typeof manifestSchema>;

/** Parses a manifest, naming the file and every failing key path. */
export function parseManifest(json: unknown, source: string): ModelManifest {
  const result = manifestSchema.safeParse(json);
  if (!result.success) {
    throw new ConfigError(`model manifest ${source} is invalid: ${describeIssues(result.error).join('; ')}`);
  }
  return result.data;
}

/** Input channels of the model: neighbour slices for 2.5d, else one. */
export function inputChannels(manifest: ModelManifest): number {
  return manifest.dimensionality === '2.5d' ? 2 * manifest.neighbourSlices + 1 : 1;
}

/** The manifest's schema as JSON Schema (what a manifest may contain, before defaults are filled in). */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(manifestSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
