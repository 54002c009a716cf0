import { globalNoiseIndex } from '../../../src/imaging/noise.js';

function normal(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) + 1) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Soft tissue (40 HU) with white noise, a bone block and an air half, so edges and other tissues are present. */
function phantom(noiseHu: number, seed: number): Float32Array {
  const next = normal(seed);
  const slice = new Float32Array(128 * 128);
  for (let i = 0; i < slice.length; i++) {
    const [r, c] = [Math.floor(i / 128), i % 128];
    const base = c < 40 ? -1000 : r > 90 && c > 90 ? 900 : r > 60 && c > 60 ? 60 : 40;
    slice[i] = base + noiseHu * next();
  }
  return slice;
}

describe('globalNoiseIndex', () => {
  it.each([10, 25, 60])('finds white noise of %i HU in soft tissue within 15 %, whatever else is on the slice', (noise) => {
    const estimate = globalNoiseIndex([phantom(noise, 1), phantom(noise, 2)], 128, 128)!;
    expect(Math.abs(estimate - noise) / noise).toBeLessThan(0.15);
  });

  it('is null where there is no soft tissue to measure', () => {
    expect(globalNoiseIndex([new Float32Array(128 * 128).fill(-1000)], 128, 128)).toBeNull();
  });
});
