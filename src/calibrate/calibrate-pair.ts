import { randomUUID } from 'node:crypto';
import type { ImageHeader } from '../dicom/file/image-headers.js';
import { bodyMask } from '../imaging/body-mask.js';
import { openSeriesFromHeaders } from '../imaging/load-series.js';
import { mae, maskedMae, psnr, ssim } from '../imaging/metrics.js';
import { radialFilter } from '../imaging/radial-response.js';
import { significant, type Calibration, type CalibrationQuality } from './calibration.js';
import { TransferFitter, type SliceGrid, type SlicePair } from './fit-transfer.js';
import { kernelOf, naturalPair, type PairLink } from './natural-pair.js';

export type CalibrationOutcome = { readonly kind: 'calibrated'; readonly calibration: Calibration } | { readonly kind: 'refused'; readonly reason: string };

/** At most this many slices are fitted (evenly spread): the fit has settled long before. */
const MAX_FIT_SLICES = 48;
/** Every HELD_BACK_EVERY-th shared slice is kept out of the fit to measure it. */
const HELD_BACK_EVERY = 4;

/** Two series of one acquisition, opened, with their shared slices in order along the patient (caudal first). */
export interface OpenedPair {
  readonly grid: SliceGrid;
  readonly link: PairLink;
  readonly shared: number;
  /** Shared slice k of each series (k in 0..shared-1, caudal to cranial). */
  read(k: number): Promise<SlicePair>;
  readonly headers: readonly [ImageHeader, ImageHeader];
}

/** Checks that the two series are a natural pair and opens them; the reason when they are not. */
export async function openNaturalPair(a: readonly ImageHeader[], b: readonly ImageHeader[]): Promise<OpenedPair | { refused: string }> {
  const verdict = naturalPair(a, b);
  if (verdict.kind !== 'pair') return { refused: verdict.reason };
  // A natural pair need not be a regular volume (a phantom's few slices): only the pairing matters.
  const tolerances = { spacingFraction: Number.POSITIVE_INFINITY };
  const [sa, sb] = await Promise.all([a, b].map((headers) => openSeriesFromHeaders(headers, { tolerances })));
  const indexIn = (series: typeof sa, image: ImageHeader) =>
    series.instances.findIndex((instance) => instance.sopInstanceUid === image.sopInstanceUid && (instance.frameNumber ?? 1) === (image.frame?.number ?? 1));
  const along = (image: ImageHeader) => {
    const [rx, ry, rz, cx, cy, cz] = image.orientation;
    const normal = [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx];
    return image.position.reduce((sum, v, k) => sum + v * normal[k], 0);
  };
  const shared = [...verdict.slices]
    .sort(([i], [j]) => along(a[i]) - along(a[j]))
    .map(([i, j]) => [indexIn(sa, a[i]), indexIn(sb, b[j])] as const);
  return {
    grid: sa.source.geometry,
    link: verdict.link,
    shared: shared.length,
    headers: [a[0], b[0]],
    async read(k) {
      const [i, j] = shared[k];
      return { a: await sa.source.readSlice(i), b: await sb.source.readSlice(j) };
    },
  };
}

/**
 * Calibrates a site's kernel transfer from a natural pair: fits on the shared slices but every
 * HELD_BACK_EVERY-th (at most MAX_FIT_SLICES, evenly spread) and measures the fit on those held back.
 */
export async function calibratePair(a: readonly ImageHeader[], b: readonly ImageHeader[], now: Date): Promise<CalibrationOutcome> {
  const pair = await openNaturalPair(a, b);
  if ('refused' in pair) return { kind: 'refused', reason: pair.refused };
  const all = Array.from({ length: pair.shared }, (_, k) => k);
  const heldBack = pair.shared >= HELD_BACK_EVERY ? all.filter((k) => k % HELD_BACK_EVERY === HELD_BACK_EVERY / 2) : [];
  const fit = evenlySpread(all.filter((k) => !heldBack.includes(k)), MAX_FIT_SLICES);
  const label = `${fit.length} of ${pair.shared} shared slices, every ${HELD_BACK_EVERY}th held back`;
  return { kind: 'calibrated', calibration: await calibrateOn(pair, fit, heldBack, now, label) };
}

/** The calibration fitted on the shared slices `fit`, measured on `heldBack`. */
export async function calibrateOn(pair: OpenedPair, fit: readonly number[], heldBack: readonly number[], now: Date, slicesLabel: string): Promise<Calibration> {
  const fitter = new TransferFitter(pair.grid);
  for (const k of fit) fitter.add(await pair.read(k));
  const result = fitter.finish();
  const [source, target] = result.sharper === 'a' ? pair.headers : [pair.headers[1], pair.headers[0]];
  const toTarget = (slices: SlicePair) => (result.sharper === 'a' ? slices : { a: slices.b, b: slices.a });
  const quality = await heldBackQuality(pair, heldBack.length === 0 ? [] : heldBack, toTarget, result.response);
  return {
    id: randomUUID(),
    scanner: { manufacturer: String(source.header.Manufacturer ?? '').trim(), modelName: String(source.header.ManufacturerModelName ?? '').trim() },
    sourceKernel: kernelOf(source) ?? '',
    targetKernel: kernelOf(target) ?? '',
    // Six significant digits, as the JSON files carry them: a calibration read back from its file,
    // or fitted again on the same pixels, filters to the same pixels.
    response: { frequenciesPerMm: result.response.frequenciesPerMm.map(significant), gains: result.response.gains.map(significant) },
    residual: { npsHu2Mm2: result.residualNps.map(significant), stdHu: significant(result.residualStdHu) },
    fitQuality: { heldBackSlices: heldBack.length, ...quality },
    provenance: {
      sourceSeriesInstanceUid: source.seriesInstanceUid,
      targetSeriesInstanceUid: target.seriesInstanceUid,
      ...(typeof source.header.StudyInstanceUID === 'string' ? { studyInstanceUid: source.header.StudyInstanceUID } : {}),
      link: pair.link,
      pixelSpacingMm: [pair.grid.pixelSpacing[0], pair.grid.pixelSpacing[1]],
      slicesUsed: fit.length,
      fittedAt: now.toISOString(),
      slices: slicesLabel,
    },
  };
}

async function heldBackQuality(
  pair: OpenedPair,
  heldBack: readonly number[],
  toTarget: (slices: SlicePair) => SlicePair,
  response: Parameters<typeof radialFilter>[1],
): Promise<{ input: CalibrationQuality | null; transfer: CalibrationQuality | null }> {
  if (heldBack.length === 0) return { input: null, transfer: null };
  const { rows, columns } = pair.grid;
  const filter = radialFilter(pair.grid, response);
  const sums = { input: emptyQuality(), transfer: emptyQuality() };
  for (const k of heldBack) {
    const { a: sharp, b: soft } = toTarget(await pair.read(k));
    const body = bodyMask([soft], rows, columns);
    for (const [name, test] of [['input', sharp], ['transfer', filter(sharp)]] as const) {
      sums[name].maeHu += mae(soft, test);
      sums[name].psnr += psnr(soft, test);
      sums[name].ssim += ssim(soft, test, rows, columns);
      sums[name].maeFullHu += maskedMae([soft], [test], body);
    }
  }
  const mean = (q: CalibrationQuality): CalibrationQuality => ({
    maeHu: q.maeHu / heldBack.length,
    psnr: q.psnr / heldBack.length,
    ssim: q.ssim / heldBack.length,
    maeFullHu: q.maeFullHu / heldBack.length,
  });
  return { input: mean(sums.input), transfer: mean(sums.transfer) };
}

function emptyQuality(): CalibrationQuality {
  return { maeHu: 0, psnr: 0, ssim: 0, maeFullHu: 0 };
}

function evenlySpread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, k) => items[Math.floor(((k + 0.5) * items.length) / n)]);
}
