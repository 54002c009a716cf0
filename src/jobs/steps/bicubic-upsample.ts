import { z } from 'zod';
import { bicubicUpsample2x } from '../../imaging/bicubic-upsample.js';
import type { Step, StepKind } from './step.js';

export interface BicubicUpsampleStepOptions {
  readonly factor: 2;
}

const options = z.strictObject({ factor: z.literal(2).default(2) });

/** Super-resolution baseline: bicubic in-plane 2x, pixel spacing halved, same slice positions. */
export const bicubicUpsampleStep: StepKind<BicubicUpsampleStepOptions> = {
  kind: 'bicubic-upsample',
  options,
  async create(): Promise<Step> {
    return {
      label: 'SR2X-BICUBIC',
      derivation: 'Bicubic interpolation baseline (Keys a=-0.5), in-plane 2x, pixel spacing halved (classical, not a trained model)',
      generated: false,
      async apply({ source, series }) {
        return { source: bicubicUpsample2x(source), series };
      },
    };
  },
};
