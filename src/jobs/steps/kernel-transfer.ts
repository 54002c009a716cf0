import { z } from 'zod';
import type { Calibration } from '../../calibrate/calibration.js';
import { describeCalibration, NO_CALIBRATION } from '../../calibrate/calibration.js';
import { InvalidInputError } from '../../errors.js';
import { applyRadialResponse } from '../../imaging/radial-response.js';
import { stepSpecSchema, type StepSpec } from '../../route/rule.js';
import type { SeriesData, Step, StepKind } from './step.js';

export interface KernelTransferStepOptions {
  /** The kernel to make; absent: the one target calibrated for the series' kernel, if there is one. */
  readonly targetKernel?: string;
  /** What runs instead when no calibration matches (for example the blind generator); absent: the job refuses. */
  readonly fallback?: StepSpec;
}

const options = z.strictObject({ targetKernel: z.string().trim().min(1).optional(), fallback: stepSpecSchema.optional() });

/**
 * Kernel harmonization by the site's own measured kernel transfer (calibrate/): the calibration of
 * this scanner model from this series' kernel to the target, applied as its radial frequency
 * response (per-slice FFT). A classical, explainable, calibrated linear filter: every HU kept.
 */
export const kernelTransferStep: StepKind<KernelTransferStepOptions> = {
  kind: 'kernel-transfer',
  options,
  check: ({ fallback }) =>
    fallback?.kind === 'kernel-transfer'
      ? { problems: [{ path: ['fallback', 'kind'], message: 'the fallback must be another kind of step' }] }
      : { nested: fallback ? [{ path: ['fallback'], spec: fallback }] : [] },
  async create(settings, context): Promise<Step> {
    const catalog = context.calibrations;
    if (!catalog) throw new InvalidInputError('kernel-transfer: this node has no calibration catalog');
    if (settings.fallback?.kind === 'kernel-transfer') throw new InvalidInputError('kernel-transfer: the fallback must be another kind of step');
    let used: { calibration: Calibration } | { fallback: Step } | undefined;
    return {
      get label() {
        if (used && 'fallback' in used) return used.fallback.label;
        return `KT-${used?.calibration.targetKernel ?? settings.targetKernel ?? 'SOFT'}`.replace(/[^A-Za-z0-9.-]+/g, '');
      },
      get derivation() {
        if (used && 'fallback' in used) return `${used.fallback.derivation} (no kernel calibration of this scanner: fallback)`;
        const calibration = used?.calibration;
        return calibration
          ? `Kernel transfer ${describeCalibration(calibration)}, measured on a natural pair (calibrated linear filter, not a trained model)`
          : 'Kernel transfer (calibrated linear filter)';
      },
      get generated() {
        return used !== undefined && 'fallback' in used ? used.fallback.generated : false;
      },
      async apply(input: SeriesData): Promise<SeriesData> {
        const { series } = input;
        const key = {
          manufacturer: series.manufacturer?.trim() ?? '',
          modelName: series.modelName?.trim() ?? '',
          sourceKernel: series.convolutionKernel.join('\\'),
          targetKernel: settings.targetKernel,
        };
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
        used = { calibration };
        return {
          source: applyRadialResponse(input.source, calibration.response),
          series: { ...series, convolutionKernel: calibration.targetKernel.split('\\'), kernelFamily: 'soft' },
        };
      },
      report() {
        if (!used) return {};
        if ('fallback' in used) return { fallback: used.fallback.label, ...used.fallback.report?.() };
        const { calibration } = used;
        return { calibration: calibration.id, targetKernel: calibration.targetKernel, calibrationFit: calibration.fitQuality.transfer };
      },
      async close() {
        if (used && 'fallback' in used) await used.fallback.close?.();
      },
    };
  },
};

