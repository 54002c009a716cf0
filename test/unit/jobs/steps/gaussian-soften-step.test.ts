import { memorySource } from '../../../../src/imaging/memory-source.js';
import { gaussianSoftenStep } from '../../../../src/jobs/steps/gaussian-soften.js';
import { createSteps, defaultStepKinds } from '../../../../src/jobs/steps/index.js';
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

  it('runs its refinement on the Gaussian\'s output and names both (as the blind generator runs after it)', async () => {
    const spec = { kind: 'gaussian-soften', options: { sigmaMm: 0.6, refine: { kind: 'bicubic-upsample' } } };
    const [step] = await createSteps([spec], defaultStepKinds(), {});
    expect(step.label).toMatch(/^GAUSS-SOFT0\.6-/);
    expect(step.derivation).toMatch(/^Gaussian smoothing baseline, sigma 0\.6 mm, then refined: /);
    const out = await applyStep(step, memorySource(geometry, [new Float32Array(9).fill(5)]));
    expect([out.geometry.rows, out.geometry.columns]).toEqual([6, 6]); // the refinement ran
    await expect(createSteps([{ kind: 'gaussian-soften', options: { refine: { kind: 'gaussian-soften' } } }], defaultStepKinds(), {})).rejects.toThrow(/another kind of step/);
    expect(gaussianSoftenStep.check!({ sigmaMm: 1, refine: { kind: 'gaussian-soften' } }, {})).toEqual({ problems: [expect.objectContaining({ path: ['refine', 'kind'] })] });
  });
});
