import { z } from 'zod';
import { InvalidInputError } from '../../errors.js';
import { gaussianSoften } from '../../imaging/gaussian-soften.js';
import { stepSpecSchema, type StepSpec } from '../../route/rule.js';
import type { Step, StepKind } from './step.js';

export interface GaussianSoftenStepOptions {
  readonly sigmaMm: number;
  /**
   * What runs on the Gaussian's output: a model trained to correct exactly this Gaussian (the blind
   * generator v3_blind, after 0.6 mm); absent: the Gaussian alone.
   */
  readonly refine?: StepSpec;
}

const options = z.strictObject({ sigmaMm: z.number().positive().finite().default(1.0), refine: stepSpecSchema.optional() });

/** "1.0", "1.25": one decimal at least, no float noise. */
function formatMm(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(Number(value.toFixed(3)));
}

/** Kernel-harmonization baseline: in-plane Gaussian smoothing, geometry unchanged; optionally refined by a model. */
export const gaussianSoftenStep: StepKind<GaussianSoftenStepOptions> = {
  kind: 'gaussian-soften',
  options,
  check: ({ refine }) => {
    if (!refine) return {};
    if (refine.kind === 'gaussian-soften') return { problems: [{ path: ['refine', 'kind'], message: 'the refinement must be another kind of step' }] };
    return { nested: [{ path: ['refine'], spec: refine, refining: 'gaussian-soften' }] };
  },
  async create({ sigmaMm, refine: refineSpec }, context): Promise<Step> {
    if (refineSpec?.kind === 'gaussian-soften') throw new InvalidInputError('gaussian-soften: the refinement must be another kind of step');
    if (refineSpec && !context.createStep) throw new InvalidInputError('gaussian-soften: this node cannot create the refinement step');
    const refine = refineSpec ? await context.createStep!(refineSpec, { refining: 'gaussian-soften' }) : undefined;
    const label = `GAUSS-SOFT${formatMm(sigmaMm)}`;
    const derivation = `Gaussian smoothing baseline, sigma ${formatMm(sigmaMm)} mm`;
    return {
      label: refine ? `${label}-${refine.label}` : label,
      derivation: refine ? `${derivation}, then refined: ${refine.derivation}` : `${derivation} (classical, not a trained model)`,
      generated: refine?.generated ?? false,
      async apply({ source, series }) {
        const smoothed = { source: gaussianSoften(source, { sigmaMm }), series };
        return refine ? refine.apply(smoothed) : smoothed;
      },
      report: refine ? () => ({ refine: refine.label, ...refine.report?.() }) : undefined,
      close: refine?.close ? () => refine.close!() : undefined,
    };
  },
};
