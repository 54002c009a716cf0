import { memorySource } from '../../../../src/imaging/memory-source.js';
import { bicubicUpsampleStep } from '../../../../src/jobs/steps/bicubic-upsample.js';
import { applyStep } from '../../../helpers/apply-step.js';

describe('bicubic-upsample step kind', () => {
  it('accepts only factor 2 (the default)', () => {
    expect(bicubicUpsampleStep.kind).toBe('bicubic-upsample');
    expect(bicubicUpsampleStep.options.parse({})).toEqual({ factor: 2 });
    expect(bicubicUpsampleStep.options.safeParse({ factor: 3 }).success).toBe(false);
  });

  it('doubles the matrix and names itself as a classical baseline', async () => {
    const step = await bicubicUpsampleStep.create({ factor: 2 }, {});
    expect(step.label).toBe('SR2X-BICUBIC');
    expect(step.generated).toBe(false);
    expect(step.derivation).toMatch(/^Bicubic interpolation baseline.*not a trained model/);
    const input = memorySource(
      { rows: 2, columns: 3, pixelSpacing: [1, 1], rowDirection: [1, 0, 0], columnDirection: [0, 1, 0], positions: [[0, 0, 0]] },
      [new Float32Array(6).fill(-1000)],
    );
    const out = await applyStep(step, input);
    expect([out.geometry.rows, out.geometry.columns]).toEqual([4, 6]);
    expect(out.geometry.positions[0]).toEqual([-0.25, -0.25, 0]);
    expect((await out.readSlice(0)).length).toBe(24);
  });
});
