import { gaussianSoften } from '../../../src/imaging/gaussian-soften.js';
import { mapSlices } from '../../../src/imaging/mapped-source.js';
import type { SliceSource } from '../../../src/imaging/slice-source.js';
import { interpolateToScale, withOutsideWindow } from '../../../src/inference/outside-window.js';
import { scaledGeometry } from '../../../src/inference/output-geometry.js';
import { memorySource, readAll, syntheticGeometry } from './helpers.js';

/**
 * Issue 8, HU fidelity: a model sees its input clipped to [-1150, 350]; before the fix, bone came
 * back at the window's top edge. These tests stand a plain function in for the network (the real
 * models are checked on real series in test/integration/model-hu-range.test.ts).
 */
const WINDOW = [-1150, 350] as const;
const ROWS = 96;
const COLUMNS = 96;

/** A phantom: soft tissue with noise, a lung, a bone disc at 1200 HU, -2048 outside the reconstruction circle. */
function phantom(slices: number): Float32Array[] {
  let state = 7;
  const noise = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  return Array.from({ length: slices }, () => {
    const slice = new Float32Array(ROWS * COLUMNS);
    for (let r = 0; r < ROWS; r++) {
      for (let c = 0; c < COLUMNS; c++) {
        const radius = Math.hypot(r - 48, c - 48);
        let value = 40;
        if (Math.hypot(r - 40, c - 30) < 12) value = -850;
        if (Math.hypot(r - 55, c - 62) < 9) value = 1200;
        if (radius > 44) value = -2048;
        slice[r * COLUMNS + c] = value + (value > -2000 ? 80 * noise() : 0);
      }
    }
    return slice;
  });
}

/** Stands in for a network: smooths what it is shown, and is shown only the window. */
function clippedSmoother(input: SliceSource, sigmaMm: number): SliceSource {
  const clipped = mapSlices(input, input.geometry, (slice) => slice.map((v) => Math.min(WINDOW[1], Math.max(WINDOW[0], v))));
  return gaussianSoften(clipped, { sigmaMm });
}

const at = (r: number, c: number) => r * COLUMNS + c;

describe('a model step outside its HU window', () => {
  const geometry = syntheticGeometry(ROWS, COLUMNS, 3, 0.7);
  const input = memorySource(phantom(3), geometry);

  it('returns bone and the padding outside the reconstruction circle at their HU, not at the window edges', async () => {
    const model = clippedSmoother(input, 0.8);
    const output = withOutsideWindow(input, model, { window: WINDOW, counterpart: { method: 'matched-gaussian', sigmaRangeMm: [0.2, 3] }, scale: { inPlane: 1, z: 1 } });
    const [clippedModel, full, reference] = await Promise.all([model.readSlice(1), output.readSlice(1), gaussianSoften(input, { sigmaMm: 0.8 }).readSlice(1)]);
    expect(clippedModel[at(55, 62)]).toBeLessThan(360); // the defect: the model alone
    expect(full[at(55, 62)]).toBeGreaterThan(1150);
    expect(Math.abs(full[at(55, 62)] - reference[at(55, 62)])).toBeLessThan(2);
    expect(full[at(2, 2)]).toBeCloseTo(-2048, 0);
    // Soft tissue and lung far from bone and padding: the model's own values.
    expect(full[at(48, 30)]).toBe(clippedModel[at(48, 30)]);
    expect(full[at(40, 30)]).toBe(clippedModel[at(40, 30)]);
    // The counterpart was fitted to what the model did.
    expect(output.matchedSigmasMm.get(1)).toBeCloseTo(0.8, 1);
  });

  it('piles no voxels up at the upper window edge', async () => {
    const model = clippedSmoother(input, 0.8);
    const output = withOutsideWindow(input, model, { window: WINDOW, counterpart: { method: 'gaussian', sigmaMm: 0.8 }, scale: { inPlane: 1, z: 1 } });
    const atEdge = (slices: Float32Array[]) => slices.reduce((n, s) => n + s.filter((v) => v > 330 && v < 370).length, 0);
    const reference = await readAll(gaussianSoften(input, { sigmaMm: 0.8 }));
    expect(atEdge(await readAll(model))).toBeGreaterThan(3 * atEdge(reference) + 50);
    expect(atEdge(await readAll(output))).toBeLessThanOrEqual(1.5 * atEdge(reference) + 5);
  });

  it('bone error stays that of the counterpart', async () => {
    const output = withOutsideWindow(input, clippedSmoother(input, 0.8), { window: WINDOW, counterpart: { method: 'gaussian', sigmaMm: 0.8 }, scale: { inPlane: 1, z: 1 } });
    const truth = await gaussianSoften(input, { sigmaMm: 0.8 }).readSlice(0);
    const [full, counterpart] = await Promise.all([output.readSlice(0), output.readCounterpart(0)]);
    let error = 0;
    let counterpartError = 0;
    truth.forEach((v, i) => {
      if (v <= 600) return;
      error += Math.abs(full[i] - v);
      counterpartError += Math.abs(counterpart[i] - v);
    });
    expect(error).toBeLessThanOrEqual(1.1 * counterpartError + 1);
  });

  it('carries the outside of the window at a super-resolution model scale, in-plane and along z', async () => {
    const scale = { inPlane: 2, z: 2 };
    const upsampled = interpolateToScale(input, scale);
    expect(upsampled.sliceCount).toBe(6);
    expect([upsampled.geometry.rows, upsampled.geometry.columns]).toEqual([2 * ROWS, 2 * COLUMNS]);
    expect(upsampled.geometry.positions).toEqual(scaledGeometry(geometry, scale).positions.map((p) => expect.arrayContaining([...p].map((v) => expect.closeTo(v, 6)))));
    const model = interpolateToScale(clippedSmoother(input, 0.01), scale);
    const output = withOutsideWindow(input, model, { window: WINDOW, counterpart: { method: 'interpolate' }, scale });
    const slice = await output.readSlice(3);
    expect(slice[2 * 55 * 2 * COLUMNS + 2 * 62]).toBeGreaterThan(1000);
  });

  it('passes the input through outside the window for a refining model (pass-through), and nothing sits at an edge where the input does not', async () => {
    // A refinement of its input (as generator v3 refines the kernel transfer's output): the clipped
    // input plus a small correction, here a fixed +5 HU.
    const refined = mapSlices(input, input.geometry, (slice) => slice.map((v) => Math.min(WINDOW[1], Math.max(WINDOW[0], v)) + 5));
    const output = withOutsideWindow(input, refined, { window: WINDOW, counterpart: { method: 'pass-through' }, scale: { inPlane: 1, z: 1 } });
    const [x, full, counterpart] = await Promise.all([input.readSlice(1), output.readSlice(1), output.readCounterpart(1)]);
    expect(counterpart).toEqual(x);
    expect(full[at(55, 62)]).toBe(x[at(55, 62)]); // bone: the input itself
    expect(full[at(2, 2)]).toBe(-2048); // padding
    expect(full[at(48, 30)]).toBeCloseTo(x[at(48, 30)] + 5, 4); // soft tissue: the model's
    expect(full[at(40, 30)]).toBeCloseTo(x[at(40, 30)] + 5, 4); // lung
    const nearEdge = (slice: Float32Array, edge: number) => slice.filter((v) => Math.abs(v - edge) < 0.5).length;
    for (const edge of WINDOW) expect(nearEdge(full, edge)).toBeLessThanOrEqual(nearEdge(x, edge));
    // Everywhere the output lies between the model's value and the input's.
    full.forEach((v, i) => {
      const [lo, hi] = [Math.min(x[i], x[i] + 5), Math.max(x[i], x[i] + 5)];
      if (x[i] >= WINDOW[0] - 50 && x[i] <= WINDOW[1]) expect(v >= lo - 1e-3 && v <= hi + 1e-3).toBe(true);
    });
  });

  it('with aboveHu, uses the correction only below it: from there up the input passes through, blended over the margin', async () => {
    const refined = mapSlices(input, input.geometry, (slice) => slice.map((v) => Math.min(WINDOW[1], Math.max(WINDOW[0], v)) + 5));
    const aboveHu = 60; // inside the soft tissue (40 +- 40 HU), so that part of it is above and part blended
    const output = withOutsideWindow(input, refined, { window: WINDOW, counterpart: { method: 'pass-through', aboveHu }, scale: { inPlane: 1, z: 1 } });
    const [x, full] = await Promise.all([input.readSlice(1), output.readSlice(1)]);
    let above = 0;
    let blended = 0;
    x.forEach((v, i) => {
      if (v >= aboveHu && v <= 3000) {
        above += 1;
        expect(full[i]).toBe(v);
      } else if (v > aboveHu - 100 && v < aboveHu) {
        blended += 1;
        const w = (aboveHu - v) / 100;
        expect(full[i]).toBeCloseTo(v + 5 * w, 3);
      } else if (v >= WINDOW[0] && v <= aboveHu - 100) {
        expect(full[i]).toBeCloseTo(v + 5, 4);
      }
    });
    expect(above).toBeGreaterThan(0);
    expect(blended).toBeGreaterThan(0);
  });

  it('with bodyOnly, hands the input on outside the body too: the air around the patient is the step before\'s', async () => {
    // The phantom with air between the body (radius 34) and the reconstruction circle (44).
    const withAir = memorySource(
      phantom(3).map((slice) => slice.map((v, i) => (Math.hypot(Math.floor(i / COLUMNS) - 48, (i % COLUMNS) - 48) > 34 && v > -2000 ? -1000 + (v - 40) / 8 : v))),
      geometry,
    );
    const refined = mapSlices(withAir, withAir.geometry, (slice) => slice.map((v) => Math.min(WINDOW[1], Math.max(WINDOW[0], v)) + 5));
    const options = { window: WINDOW, scale: { inPlane: 1, z: 1 } };
    const bodyOnly = withOutsideWindow(withAir, refined, { ...options, counterpart: { method: 'pass-through', bodyOnly: true } });
    const everywhere = withOutsideWindow(withAir, refined, { ...options, counterpart: { method: 'pass-through' } });
    const [x, full, unmasked] = await Promise.all([withAir.readSlice(1), bodyOnly.readSlice(1), everywhere.readSlice(1)]);
    expect(unmasked[at(48, 88)]).toBeCloseTo(x[at(48, 88)] + 5, 4); // without it, the air around the patient is shifted too
    expect(full[at(48, 90)]).toBe(x[at(48, 90)]); // 8 px beyond the skin, past the margin and the ramp: the input
    expect(full[at(48, 30)]).toBeCloseTo(x[at(48, 30)] + 5, 4); // soft tissue
    expect(full[at(40, 30)]).toBeCloseTo(x[at(40, 30)] + 5, 4); // lung, air inside the body
    expect(full[at(48, 83)]).toBeCloseTo(x[at(48, 83)] + 5, 4); // the first 2 px of air beyond the skin: still the model's
    const fading = full[at(48, 85)] - x[at(48, 85)];
    expect(fading).toBeGreaterThan(0.5);
    expect(fading).toBeLessThan(4.5);
  });

  it('refuses a pass-through counterpart for a model that changes the scale', () => {
    expect(() => withOutsideWindow(input, input, { window: WINDOW, counterpart: { method: 'pass-through' }, scale: { inPlane: 2, z: 1 } })).toThrow(/keeps the geometry/);
  });

  it('refuses a matched Gaussian for a model that changes the scale', () => {
    expect(() => withOutsideWindow(input, input, { window: WINDOW, counterpart: { method: 'matched-gaussian', sigmaRangeMm: [0.2, 3] }, scale: { inPlane: 2, z: 1 } })).toThrow(/keeps the geometry/);
  });
});
