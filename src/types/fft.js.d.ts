/** The part of fft.js 4 (no type declarations of its own) that imaging/fft2d.ts uses. */
declare module 'fft.js' {
  type Complex = Float64Array | number[];
  export default class FFT {
    constructor(size: number);
    readonly size: number;
    /** Complex to complex, interleaved [re, im, ...]; out and data must differ. */
    transform(out: Complex, data: Complex): void;
    /** The inverse, divided by size. */
    inverseTransform(out: Complex, data: Complex): void;
  }
}
