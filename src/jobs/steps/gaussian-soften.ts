import { z } from 'zod';
import { gaussianSoften } from '../../imaging/gaussian-soften.js';
import type { Step, StepKind } from './step.js';

export interface GaussianSoftenStepOptions {
  readonly sigmaMm: number;
}

const options = z.strictObject({ sigmaMm: z.number().positive().finite().default(1.0) });

/** "1.0", "1.25": one decimal at least, no float noise. */
function formatMm(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(Number(value.toFixed(3)));
}

/** Kernel-harmonization baseline: in-plane Gaussian smoothing, geometry unchanged. */
export const gaussianSoftenStep: StepKind<GaussianSoftenStepOptions> = {
  kind: 'gaussian-soften',
  options,
  async create({ sigmaMm }): Promise<Step> {
    return {
      label: `GAUSS-SOFT${formatMm(sigmaMm)}`,
      derivation: `Gaussian smoothing baseline, sigma ${formatMm(sigmaMm)} mm (classical, not a trained model)`,
      generated: false,
      async apply({ source, series }) {
        return { source: gaussianSoften(source, { sigmaMm }), series };
      },
    };
  },
};
