import { bodyMask } from '../imaging/body-mask.js';
import { laa950 } from '../imaging/metrics.js';
import { lungMask } from '../imaging/lung-mask.js';
import { globalNoiseIndex } from '../imaging/noise.js';
import type { SliceSource } from '../imaging/slice-source.js';

/**
 * What a job can say about its own output without a reference, on a sample of slices: noise and
 * LAA-950 before and after, for super-resolution how far the output, averaged back to the input's
 * pixels, is from the input (data consistency), and the calibration a kernel transfer used.
 * Stored on the job, served by the API and written into the derived series' ImageComments.
 */
export interface QualityReport {
  readonly slicesSampled: number;
  /** Global noise index (HU): the mode of the local SD in soft tissue; null without soft tissue. */
  readonly noiseHu: { readonly before: number | null; readonly after: number | null };
  /** Percent of lung below -950 HU, on the input's lung mask; null where the slices hold no lung. */
  readonly laa950: { readonly before: number | null; readonly after: number | null };
  /** Super-resolution only: mean |HU| inside the body between the input and the output averaged back to its grid. */
  readonly dataConsistencyHu?: number;
  readonly calibration?: { readonly id: string; readonly heldBackMaeHu?: number };
}

/** Slices measured: evenly spread; their outputs are kept for the writer, so nothing is computed twice. */
const SAMPLE_SLICES = 8;
/** Fewer lung pixels than this on the sampled slices: no lung to speak of. */
const MIN_LUNG_PIXELS = 5000;

/**
 * Computes the report on up to SAMPLE_SLICES evenly spread slices and returns, with it, the output
 * as a source that hands out those already computed slices from memory (once each). `scaledFrom`
 * is what the super-resolution step was given, where a step before it changed the input (a
 * harmonization): data consistency is that step's, measured against its own input.
 */
export async function measureQuality(
  input: SliceSource,
  output: SliceSource,
  stepReports: readonly (Record<string, unknown> | undefined)[],
  scaledFrom: SliceSource = input,
): Promise<{ report: QualityReport; output: SliceSource }> {
  const sample = sampledIndices(input.sliceCount);
  const kept = new Map<number, Float32Array>();
  const before: Float32Array[] = [];
  const after: Float32Array[] = [];
  for (const index of sample) {
    before.push(await input.readSlice(index));
    const slice = await output.readSlice(index);
    kept.set(index, slice);
    after.push(slice);
  }
  const { rows, columns } = input.geometry;
  const out = output.geometry;
  const factor = out.rows / rows;
  const sameGrid = out.rows === rows && out.columns === columns;
  const scaled = !sameGrid && Number.isInteger(factor) && out.columns === columns * factor;
  // Each sampled slice on its own: they lie centimetres apart, so as one volume the lungs of one
  // slice touch the air around the body in the next, and most of the lung was dropped as outside air.
  const lungs = before.map((slice) => lungMask([slice], rows, columns)[0]).map((mask) => (hasLung(mask) ? mask : new Uint8Array(mask.length)));
  const lungPixels = lungs.reduce((total, mask) => total + mask.reduce((sum, v) => sum + v, 0), 0);
  const withLung = lungPixels >= MIN_LUNG_PIXELS;
  const afterLaa = withLung && (sameGrid || scaled) ? laa950(after, scaled ? lungs.map((mask) => upsampleMask(mask, rows, columns, factor)) : lungs) : null;
  const calibration = stepReports.find((report) => typeof report?.calibration === 'string');
  const heldBack = (calibration?.calibrationFit as { maeHu?: number } | null | undefined)?.maeHu;
  const report: QualityReport = {
    slicesSampled: sample.length,
    noiseHu: { before: globalNoiseIndex(before, rows, columns), after: globalNoiseIndex(after, out.rows, out.columns) },
    laa950: { before: withLung ? laa950(before, lungs) : null, after: afterLaa },
    ...(scaled ? { dataConsistencyHu: dataConsistency(scaledFrom === input ? before : await readSample(scaledFrom, sample), after, rows, columns, factor) } : {}),
    ...(calibration ? { calibration: { id: calibration.calibration as string, ...(heldBack !== undefined ? { heldBackMaeHu: heldBack } : {}) } } : {}),
  };
  return {
    report,
    output: {
      geometry: output.geometry,
      sliceCount: output.sliceCount,
      readSlice(index) {
        const slice = kept.get(index);
        if (!slice) return output.readSlice(index);
        kept.delete(index);
        return Promise.resolve(slice);
      },
    },
  };
}

/** The slices the report measures, of a series of `count` slices: evenly spread. */
function sampledIndices(count: number): number[] {
  const n = Math.min(SAMPLE_SLICES, count);
  return [...new Set(Array.from({ length: n }, (_, k) => Math.round(((k + 0.5) * count) / n - 0.5)))];
}

/**
 * The source, with the slices the report samples kept once computed: the report reads them from
 * what a super-resolution step was given before that step reads them, and they are computed once.
 */
export function keepingSampledSlices(source: SliceSource): SliceSource {
  const sampled = new Set(sampledIndices(source.sliceCount));
  const kept = new Map<number, Promise<Float32Array>>();
  return {
    geometry: source.geometry,
    sliceCount: source.sliceCount,
    readSlice(index) {
      if (!sampled.has(index)) return source.readSlice(index);
      let slice = kept.get(index);
      if (!slice) kept.set(index, (slice = source.readSlice(index)));
      return slice;
    },
  };
}

async function readSample(source: SliceSource, sample: readonly number[]): Promise<Float32Array[]> {
  const slices: Float32Array[] = [];
  for (const index of sample) slices.push(await source.readSlice(index));
  return slices;
}

/** One line for ImageComments. */
export function describeQuality(report: QualityReport): string {
  const pair = (values: { before: number | null; after: number | null }, unit: string, digits: number) =>
    `${values.before === null ? 'n/a' : values.before.toFixed(digits)} -> ${values.after === null ? 'n/a' : values.after.toFixed(digits)}${unit}`;
  const parts = [`noise ${pair(report.noiseHu, ' HU', 1)}`];
  if (report.laa950.before !== null) parts.push(`LAA-950 ${pair(report.laa950, ' %', 2)}`);
  if (report.dataConsistencyHu !== undefined) parts.push(`data consistency ${report.dataConsistencyHu.toFixed(1)} HU`);
  if (report.calibration) {
    const fit = report.calibration.heldBackMaeHu === undefined ? '' : `, held-back MAE ${report.calibration.heldBackMaeHu.toFixed(1)} HU`;
    parts.push(`calibration ${report.calibration.id.slice(0, 8)}${fit}`);
  }
  return `Quality on ${report.slicesSampled} sampled slices, input -> output, no reference: ${parts.join('; ')}.`;
}

/** A slice's lung mask counts when its lungs are at least 1 % of the slice. */
function hasLung(mask: Uint8Array): boolean {
  let sum = 0;
  for (const v of mask) sum += v;
  return sum >= 0.01 * mask.length;
}

function upsampleMask(mask: Uint8Array, rows: number, columns: number, factor: number): Uint8Array {
  const out = new Uint8Array(rows * factor * columns * factor);
  for (let r = 0; r < rows * factor; r++) {
    for (let c = 0; c < columns * factor; c++) out[r * columns * factor + c] = mask[Math.floor(r / factor) * columns + Math.floor(c / factor)];
  }
  return out;
}

function dataConsistency(before: readonly Float32Array[], after: readonly Float32Array[], rows: number, columns: number, factor: number): number {
  const bodies = bodyMask(before, rows, columns);
  let sum = 0;
  let count = 0;
  before.forEach((slice, s) => {
    const high = after[s];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) {
        if (!bodies[s][r * columns + c]) continue;
        let mean = 0;
        for (let dr = 0; dr < factor; dr++) for (let dc = 0; dc < factor; dc++) mean += high[(r * factor + dr) * columns * factor + c * factor + dc];
        sum += Math.abs(mean / (factor * factor) - slice[r * columns + c]);
        count += 1;
      }
    }
  });
  return count === 0 ? 0 : sum / count;
}
