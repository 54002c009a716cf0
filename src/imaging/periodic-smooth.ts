import FFT from 'fft.js';

/**
 * An FFT filters as if the image wrapped around: the bottom rows (the table, say) would bleed into
 * the top ones. Moisan's periodic-plus-smooth decomposition (J Math Imaging Vis 2011) avoids it: the
 * image is u = p + s with p periodic and s smooth (the solution of a Poisson equation whose source
 * V is the jumps across the image's borders); p is filtered and s, smooth, is kept. With
 * S = V / (2cos(2 pi k/n) + 2cos(2 pi l/n) - 4), the filtered image is H P + S = H U + (1 - H) S.
 * The border jumps lie on four lines, so V is two 1D transforms away (not one more 2D transform):
 * V(k, l) = D(l) (1 - w^k) + E(k) (1 - w^l), w = e^(2 pi i / n), D and E the transforms of the jumps
 * across the top/bottom and left/right borders.
 */
export class PeriodicSmooth {
  /** (1 - H) / laplacian per frequency, 0 at the origin. */
  private readonly smoothGains: Float64Array;
  private readonly fft: FFT;
  /** 1 - w^k, interleaved. */
  private readonly oneMinusW: Float64Array;
  private readonly rowJumps: Float64Array;
  private readonly columnJumps: Float64Array;
  private readonly rowSpectrum: Float64Array;
  private readonly columnSpectrum: Float64Array;

  constructor(private readonly size: number, gains: Float64Array) {
    this.smoothGains = new Float64Array(size * size);
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

  /**
   * Adds (1 - H) S to a filtered spectrum H U of the complex image a + i b (two real images of
   * size x size, row-major), so that its inverse is the filtered image without wrap-around.
   */
  addSmoothPart(spectrum: Float64Array, a: Float64Array, b: Float64Array): void {
    const { size, rowJumps, columnJumps, rowSpectrum, columnSpectrum, oneMinusW, smoothGains } = this;
    const last = size - 1;
    for (let k = 0; k < size; k++) {
      rowJumps[2 * k] = a[last * size + k] - a[k];
      rowJumps[2 * k + 1] = b[last * size + k] - b[k];
      columnJumps[2 * k] = a[k * size + last] - a[k * size];
      columnJumps[2 * k + 1] = b[k * size + last] - b[k * size];
    }
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
        const g = smoothGains[row + l];
        const dr = rowSpectrum[2 * l];
        const di = rowSpectrum[2 * l + 1];
        const wlr = oneMinusW[2 * l];
        const wli = oneMinusW[2 * l + 1];
        spectrum[2 * (row + l)] += g * (dr * wkr - di * wki + er * wlr - ei * wli);
        spectrum[2 * (row + l) + 1] += g * (dr * wki + di * wkr + er * wli + ei * wlr);
      }
    }
  }
}
