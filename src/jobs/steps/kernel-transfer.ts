import { z } from 'zod';
import type { Calibration } from '../../calibrate/calibration.js';
import { calibrationKeyOf, describeCalibration, NO_CALIBRATION } from '../../calibrate/calibration.js';
import { InvalidInputError } from '../../errors.js';
import { applyRadialResponse } from '../../imaging/radial-response.js';
import { refusalReason } from '../../inference/accepts.js';
import { stepSpecSchema, type StepSpec } from '../../route/rule.js';
import type { SeriesData, Step, StepContext, StepKind } from './step.js';

export interface KernelTransferStepOptions {
  /** The kernel to make; absent: the one target calibrated for the series' kernel, if there is one. */
  readonly targetKernel?: string;
  /** What runs instead when no calibration matches (for example the blind generator); absent: the job refuses. */
  readonly fallback?: StepSpec;
  /**
   * What runs on the transfer's output when a calibration matched (generator v3, a model trained to
   * correct a calibrated transfer); never after the fallback, whose output it was not trained on.
   * "per-calibration": the model installed for the matched calibration (its manifest's calibration
   * names the same scanner and kernels), and the transfer alone where none is.
   */
  readonly refine?: StepSpec | typeof PER_CALIBRATION;
}

export const PER_CALIBRATION = 'per-calibration';

const options = z.strictObject({
  targetKernel: z.string().trim().min(1).optional(),
  fallback: stepSpecSchema.optional(),
  refine: z.union([stepSpecSchema, z.literal(PER_CALIBRATION)]).optional(),
});

/** unrefined: why "per-calibration" ran no model on this series. */
type Used = { calibration: Calibration; refine?: Step; unrefined?: string } | { fallback: Step };

/**
 * Kernel harmonization by the site's own measured kernel transfer (calibrate/): the calibration of
 * this scanner model from this series' kernel to the target, applied as its radial frequency
 * response (per-slice FFT). A classical, explainable, calibrated linear filter: every HU kept.
 */
export const kernelTransferStep: StepKind<KernelTransferStepOptions> = {
  kind: 'kernel-transfer',
  options,
  check: ({ fallback, refine }) => {
    const problems = [
      ...(fallback?.kind === 'kernel-transfer' ? [{ path: ['fallback', 'kind'], message: 'the fallback must be another kind of step' }] : []),
      ...(isSpec(refine) && refine.kind === 'kernel-transfer' ? [{ path: ['refine', 'kind'], message: 'the refinement must be another kind of step' }] : []),
    ];
    if (problems.length > 0) return { problems };
    return {
      nested: [
        ...(fallback ? [{ path: ['fallback'], spec: fallback }] : []),
        ...(isSpec(refine) ? [{ path: ['refine'], spec: refine, refining: 'kernel-transfer' }] : []),
      ],
    };
  },
  async create(settings, context): Promise<Step> {
    const catalog = context.calibrations;
    if (!catalog) throw new InvalidInputError('kernel-transfer: this node has no calibration catalog');
    if (settings.fallback?.kind === 'kernel-transfer') throw new InvalidInputError('kernel-transfer: the fallback must be another kind of step');
    if (isSpec(settings.refine) && settings.refine.kind === 'kernel-transfer') throw new InvalidInputError('kernel-transfer: the refinement must be another kind of step');
    let used: Used | undefined;
    return {
      get label() {
        if (used && 'fallback' in used) return used.fallback.label;
        const transfer = `KT-${used?.calibration.targetKernel ?? settings.targetKernel ?? 'SOFT'}`.replace(/[^A-Za-z0-9.-]+/g, '');
        return used?.refine ? `${transfer}-${used.refine.label}` : transfer;
      },
      get derivation() {
        if (used && 'fallback' in used) return `${used.fallback.derivation} (no kernel calibration of this scanner: fallback)`;
        const calibration = used?.calibration;
        if (!calibration) return 'Kernel transfer (calibrated linear filter)';
        const transfer = `Kernel transfer ${describeCalibration(calibration)}, measured on a natural pair`;
        if (used?.refine) return `${transfer}, then refined: ${used.refine.derivation}`;
        return `${transfer} (calibrated linear filter, not a trained model${used?.unrefined ? `; ${used.unrefined}` : ''})`;
      },
      get generated() {
        if (!used) return false;
        return 'fallback' in used ? used.fallback.generated : (used.refine?.generated ?? false);
      },
      async apply(input: SeriesData): Promise<SeriesData> {
        const { series } = input;
        const key = calibrationKeyOf(series, settings.targetKernel);
        const found = await catalog.find(key);
        if (found.length !== 1) {
          const scanner = `${key.manufacturer} ${key.modelName} ${key.sourceKernel || '(no kernel)'}`;
          const reason =
            found.length === 0
              ? `${NO_CALIBRATION} for ${scanner}${settings.targetKernel ? ` to ${settings.targetKernel}` : ''}: send a natural pair (its sharp and soft reconstructions of one acquisition) or run ctprep calibrate`
              : `${scanner} is calibrated to ${found.map((c) => c.targetKernel).join(', ')}: name the rule's targetKernel`;
          if (!settings.fallback || !context.createStep) throw new InvalidInputError(`kernel-transfer: ${reason}`);
          const fallback = await context.createStep(settings.fallback);
          used = { fallback };
          return fallback.apply(input);
        }
        const calibration = found[0];
        const transferred: SeriesData = {
          source: applyRadialResponse(input.source, calibration.response),
          series: { ...series, convolutionKernel: calibration.targetKernel.split('\\'), kernelFamily: 'soft' },
        };
        const chosen = settings.refine === PER_CALIBRATION ? modelForCalibration(calibration, transferred, context) : { spec: settings.refine, none: undefined };
        if (!chosen.spec) {
          used = { calibration, unrefined: chosen.none };
          return transferred;
        }
        if (!context.createStep) throw new InvalidInputError('kernel-transfer: this node cannot create the refinement step');
        const refine = await context.createStep(chosen.spec, { refining: 'kernel-transfer' });
        used = { calibration, refine };
        return refine.apply(transferred);
      },
      report() {
        if (!used) return {};
        if ('fallback' in used) return { fallback: used.fallback.label, ...used.fallback.report?.() };
        const { calibration, refine } = used;
        const transfer = { calibration: calibration.id, targetKernel: calibration.targetKernel, calibrationFit: calibration.fitQuality.transfer };
        return refine ? { ...transfer, refine: refine.label, ...refine.report?.() } : transfer;
      },
      async close() {
        if (!used) return;
        await ('fallback' in used ? used.fallback.close?.() : used.refine?.close?.());
      },
    };
  },
};

function isSpec(refine: KernelTransferStepOptions['refine']): refine is StepSpec {
  return typeof refine === 'object';
}

/**
 * The generator v3 installed for this calibration, as a model step; or, where there is none or it
 * does not accept the transferred series (another matrix, say), why the transfer stands alone.
 */
function modelForCalibration(calibration: Calibration, transferred: SeriesData, context: StepContext): { spec: StepSpec; none?: undefined } | { spec?: undefined; none: string } {
  const { scanner, sourceKernel, targetKernel } = calibration;
  const entry = context.inference?.registry.forCalibration({ ...scanner, sourceKernel, targetKernel });
  if (!entry) return { none: 'no generator v3 trained for this calibration is installed' };
  const reason = refusalReason(entry.manifest, transferred.series, transferred.source.geometry);
  if (reason) return { none: `the generator v3 of this calibration, ${entry.manifest.id}, does not accept this series: ${reason}` };
  return { spec: { kind: 'model', options: { model: entry.manifest.id } } };
}
