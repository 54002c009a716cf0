import type { SeriesGeometry } from '../src/imaging/geometry.js';
import { openFolder, pairByPosition, storedFormatOf } from './eval-models.js';

/**
 * The real natural pairs of ../shared/data/ct that npm run eval (scripts/eval.ts) evaluates and
 * generator v3 trains on, and how each is cut into a calibration half and an evaluated half.
 */
export const PAIRS = [
  { name: 'A0001 Philips L->B', key: 'a0001', sharp: 'lung-pet-ct-dx-A0001-philips-L', soft: 'lung-pet-ct-dx-A0001-philips-B', patient: 'A0001' },
  { name: 'A0002 Siemens B70f->B40f', key: 'a0002', sharp: 'lung-pet-ct-dx-A0002-siemens-B70f', soft: 'lung-pet-ct-dx-A0002-siemens-B40f', patient: 'A0002' },
  { name: 'Toshiba phantom FC51->FC13', key: 'toshiba', sharp: 'toshiba-phantom-FC51', soft: 'toshiba-phantom-FC13', patient: undefined },
] as const;

/** The shipped blind classical harmonizer's sigma (config/rules.json, harmonize-sharp-chest-ct-gaussian): v3_blind's input. */
export const BLIND_SIGMA_MM = 0.6;

export const SPLITS = ['cranial', 'caudal'] as const;
export type Split = (typeof SPLITS)[number];

/**
 * A pair's two series (any slice spacing: the phantom's four slices are not contiguous), the
 * slices they share ([index in sharp, index in soft], paired by position), and the pixel format a
 * series derived from the sharp one is stored in.
 */
export async function openPair(sharpFolder: string, softFolder: string) {
  const loose = { spacingFraction: Number.POSITIVE_INFINITY };
  const sharp = await openFolder(sharpFolder, loose);
  const soft = await openFolder(softFolder, loose);
  return { sharp, soft, shared: pairByPosition(sharp.geometry, soft.geometry), storedFormat: await storedFormatOf(sharpFolder) };
}

/** The other half: the one a split evaluates on. */
export function evaluatedHalf(calibratedOn: Split): Split {
  return calibratedOn === 'cranial' ? 'caudal' : 'cranial';
}

/**
 * The shared slices ([index in sharp, index in soft], paired by position) sorted along z and cut in
 * two: the caudal half (lower z) and the cranial half (the rest).
 */
export function calibrationHalves(sharp: SeriesGeometry, shared: readonly [number, number][]): Record<Split, [number, number][]> {
  const zOf = (i: number) => sharp.positions[i][2];
  const sorted = [...shared].sort(([i], [k]) => zOf(i) - zOf(k));
  const half = Math.floor(sorted.length / 2);
  return { caudal: sorted.slice(0, half), cranial: sorted.slice(half) };
}
