import { huToStored, rawToHu, storedHu, storedRange, type PixelFormat } from '../../../src/imaging/hounsfield.js';

const unsigned12: PixelFormat = { rescaleSlope: 1, rescaleIntercept: -1024, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0 };
const signed16: PixelFormat = { rescaleSlope: 1, rescaleIntercept: 0, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1 };
const scaled: PixelFormat = { rescaleSlope: 0.5, rescaleIntercept: -1000, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 1 };

describe('hounsfield', () => {
  it('gives the stored range of each format', () => {
    expect(storedRange(unsigned12)).toEqual({ min: 0, max: 4095 });
    expect(storedRange(signed16)).toEqual({ min: -32768, max: 32767 });
    expect(storedRange(scaled)).toEqual({ min: -2048, max: 2047 });
  });

  it.each([
    ['unsigned 12 bit', unsigned12],
    ['signed 16 bit', signed16],
    ['signed 12 bit, slope 0.5', scaled],
  ])('round-trips every stored value exactly (%s)', (_, format) => {
    const { min, max } = storedRange(format);
    const stored = Int32Array.from({ length: max - min + 1 }, (_, i) => min + i);
    const raw = format.pixelRepresentation === 1 ? Int16Array.from(stored) : Uint16Array.from(stored);
    const back = huToStored(rawToHu(raw, format), format);
    expect(back).toBeInstanceOf(format.pixelRepresentation === 1 ? Int16Array : Uint16Array);
    expect(Array.from(back)).toEqual(Array.from(stored));
  });

  it('rounds to the nearest stored value and clamps outside the range', () => {
    const hu = Float32Array.from([-3000, -1024.4, -1023.6, 100.2, 3071, 3072, 9000, Number.NaN]);
    expect(Array.from(huToStored(hu, unsigned12))).toEqual([0, 0, 0, 1124, 4095, 4095, 4095, 0]);
    expect(Array.from(huToStored(Float32Array.from([-2100, -999.7, 30000]), scaled))).toEqual([-2048, 1, 2047]);
  });

  it('masks to BitsStored and sign-extends before rescaling', () => {
    expect(Array.from(rawToHu(Uint16Array.from([0xf064, 0x0fff]), unsigned12))).toEqual([100 - 1024, 4095 - 1024]);
    expect(Array.from(rawToHu(Uint16Array.from([0x0ffb, 0xfffb, 0x07ff]), scaled))).toEqual([-1002.5, -1002.5, 23.5]);
    expect(Array.from(rawToHu(Int16Array.from([-32768, -1, 32767]), signed16))).toEqual([-32768, -1, 32767]);
  });

  it('gives the HU a written slice holds: rounded to a stored value, clamped to the range', () => {
    const hu = Float32Array.from([-1100, -950.4, -950.6, 40.5, 3100]);
    expect(Array.from(storedHu(hu, unsigned12))).toEqual([-1024, -950, -951, 41, 3071]);
    expect(Array.from(storedHu(Float32Array.from([-950.2, -950.3, 1e6]), scaled))).toEqual([-950, -950.5, 23.5]);
    expect(Array.from(storedHu(Float32Array.from([-2000.4, 5.5]), signed16))).toEqual([-2000, 6]);
  });
});
