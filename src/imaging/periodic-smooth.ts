import FFT from 'fft.js';
import type { ComplexGrid } from './fft2d.js';

/**
 * A radially symmetric filter H applied in the frequency domain without wrap-around. An FFT filters
 * as if the image wrapped around: the bottom rows (the table, say) would bleed into the top ones.
 * Moisan's periodic-plus-smooth decomposition (J Math Imaging Vis 2011) avoids it: the image is
 * u = p + s with p periodic and s smooth (the solution of a Poisson equation whose source V is the
 * jumps across the image's borders); p is filtered and s, smooth, is kept. With
 * S = V / (2cos(2 pi k/n) + 2cos(2 pi l/n) - 4), the filtered image is H P + S = H U + (1 - H) S.
 * The border jumps lie on four lines, so V is two 1D transforms away (not one more 2D transform):
 * V(k, l) = D(l) (1 - w^k) + E(k) (1 - w^l), w = e^(2 pi i / n), D and E the transforms of the jumps
 * across the top/bottom and left/right borders.
 */
export class PeriodicSmoothFilter {
  /** H per frequency. */
  private readonly gains: Float32Array;
  /** (1 - H) / laplacian per frequency, 0 at the origin. */
  private readonly smoothGains: Float32Array;
  private readonly fft: FFT;
  /** 1 - w^k, interleaved. */
  private readonly oneMinusW: Float64Array;
  private readonly rowJumps: Float64Array;
  private readonly columnJumps: Float64Array;
  private readonly rowSpectrum: Float64Array;
  private readonly columnSpectrum: Float64Array;

  constructor(private readonly size: number, gains: ArrayLike<number>) {
    this.gains = Float32Array.from(gains);
    this.smoothGains = new Float32Array(size * size);
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const i = r * size + c;
        const laplacian = 2 * Math.cos((2 * Math.PI * r) / size) + 2 * Math.cos((2 * Math.PI * c) / size) - 4;
        this.smoothGains[i] = i === 0 ? 0 : (1 - gains[i]) / laplacian;
      }
    }
    this.fft = new FFT(size);
    this.oneMinusW = new Float64Array(2 * size);
    for (let k = 0; k < size; k++) {
      this.oneMinusW[2 * k] = 1 - Math.cos((2 * Math.PI * k) / size);
      this.oneMinusW[2 * k + 1] = -Math.sin((2 * Math.PI * k) / size);
    }
    [this.rowJumps, this.columnJumps, this.rowSpectrum, this.columnSpectrum] = [0, 1, 2, 3].map(() => new Float64Array(2 * size));
  }

  /** Keeps the jumps across the borders of the complex image (two real images a + i b), before it is transformed. */
  measureJumps(image: ComplexGrid): void {
    const { size, rowJumps, columnJumps } = this;
    const last = size - 1;
    for (let k = 0; k < size; k++) {
      for (let part = 0; part < 2; part++) {
        rowJumps[2 * k + part] = image[2 * (last * size + k) + part] - image[2 * k + part];
        columnJumps[2 * k + part] = image[2 * (k * size + last) + part] - image[2 * k * size + part];
      }
    }
  }

  /** Turns the spectrum U of the image last measured into H U + (1 - H) S: its inverse is the filtered image without wrap-around. */
  filter(spectrum: ComplexGrid): void {
    const { size, rowJumps, columnJumps, rowSpectrum, columnSpectrum, oneMinusW, gains, smoothGains } = this;
    this.fft.transform(rowSpectrum, rowJumps);
    this.fft.transform(columnSpectrum, columnJumps);
    // Plain locals in the inner loop: it runs size^2 times per pair of slices.
    for (let k = 0; k < size; k++) {
      const wkr = oneMinusW[2 * k];
      const wki = oneMinusW[2 * k + 1];
      const er = columnSpectrum[2 * k];
      const ei = columnSpectrum[2 * k + 1];
      const row = k * size;
      for (let l = 0; l < size; l++) {
        const h = gains[row + l];
        const g = smoothGains[row + l];
        const dr = rowSpectrum[2 * l];
        const di = rowSpectrum[2 * l + 1];
        const wlr = oneMinusW[2 * l];
        const wli = oneMinusW[2 * l + 1];
        const i = 2 * (row + l);
        spectrum[i] = h * spectrum[i] + g * (dr * wkr - di * wki + er * wlr - ei * wli);
        spectrum[i + 1] = h * spectrum[i + 1] + g * (dr * wki + di * wkr + er * wli + ei * wlr);
      }
    }
  }
}
