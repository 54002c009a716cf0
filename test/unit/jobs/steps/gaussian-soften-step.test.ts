import { memorySource } from '../../../../src/imaging/memory-source.js';
import { gaussianSoftenStep } from '../../../../src/jobs/steps/gaussian-soften.js';
import { applyStep } from '../../../helpers/apply-step.js';

const geometry = {
  rows: 3,
  columns: 3,
  pixelSpacing: [0.7, 0.7] as const,
  rowDirection: [1, 0, 0] as const,
  columnDirection: [0, 1, 0] as const,
  positions: [[0, 0, 0] as const],
};

describe('gaussian-soften step kind', () => {
  it('defaults sigma to 1.0 mm and refuses bad options', () => {
    expect(gaussianSoftenStep.kind).toBe('gaussian-soften');
    expect(gaussianSoftenStep.options.parse({})).toEqual({ sigmaMm: 1 });
    expect(gaussianSoftenStep.options.parse({ sigmaMm: 1.25 })).toEqual({ sigmaMm: 1.25 });
    expect(gaussianSoftenStep.options.safeParse({ sigmaMm: 0 }).success).toBe(false);
    expect(gaussianSoftenStep.options.safeParse({ sigmaMm: -1 }).success).toBe(false);
    expect(gaussianSoftenStep.options.safeParse({ sigma: 1 }).success).toBe(false);
  });

  it('names itself honestly and keeps the geometry', async () => {
    const step = await gaussianSoftenStep.create(gaussianSoftenStep.options.parse({}), {});
    expect(step.label).toBe('GAUSS-SOFT1.0');
    expect(step.derivation).toBe('Gaussian smoothing baseline, sigma 1.0 mm (classical, not a trained model)');
    expect(step.generated).toBe(false);
    const out = await applyStep(step, memorySource(geometry, [new Float32Array(9).fill(5)]));
    expect(out.geometry).toEqual(geometry);
    expect((await out.readSlice(0))[4]).toBeCloseTo(5, 4);
    expect((await gaussianSoftenStep.create({ sigmaMm: 1.25 }, {})).label).toBe('GAUSS-SOFT1.25');
  });
});
