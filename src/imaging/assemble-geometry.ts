import { basename } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { dot, sliceNormal, type SeriesGeometry, type Vec3 } from './geometry.js';
import type { ImageHeader } from '../dicom/file/image-headers.js';
import { spacingProblem } from './slice-spacing.js';

export interface GeometryTolerances {
  /** Largest allowed difference between two slices' ImageOrientationPatient components. */
  readonly orientation: number;
  /** Largest allowed difference between two slices' PixelSpacing, in mm. */
  readonly pixelSpacingMm: number;
  /** Slices closer than this along the normal are duplicates, in mm. */
  readonly duplicateMm: number;
  /** Largest in-plane drift of a slice position off the normal line, as a fraction of the pixel. */
  readonly tiltPixels: number;
  /** Largest deviation of a gap from the median gap, as a fraction of the median gap. */
  readonly spacingFraction: number;
}

export const DEFAULT_TOLERANCES: GeometryTolerances = {
  orientation: 1e-4,
  pixelSpacingMm: 1e-4,
  duplicateMm: 1e-3,
  tiltPixels: 0.1,
  spacingFraction: 0.02,
};

/**
 * Checks that the instances form one stack of parallel, equally spaced, untilted slices and sorts
 * them along the slice normal by the projection of ImagePositionPatient.
 */
export function assembleGeometry(
  instances: readonly ImageHeader[],
  tolerances: GeometryTolerances = DEFAULT_TOLERANCES,
): { geometry: SeriesGeometry; sorted: ImageHeader[] } {
  if (instances.length === 0) throw new InvalidInputError('series has no files');
  const first = instances[0];
  for (const instance of instances) refuseMismatch(first, instance, tolerances);
  const rowDirection = first.orientation.slice(0, 3) as unknown as Vec3;
  const columnDirection = first.orientation.slice(3, 6) as unknown as Vec3;
  refuseNonOrthonormal(rowDirection, columnDirection, first.path);
  const normal = sliceNormal({ rowDirection, columnDirection });
  const sorted = [...instances].sort((a, b) => dot(a.position, normal) - dot(b.position, normal));
  refuseTilt(sorted, normal, tolerances.tiltPixels * Math.min(...first.pixelSpacing));
  refuseBadSpacing(sorted, normal, tolerances);
  const thickness = Number(first.header.SliceThickness);
  const geometry: SeriesGeometry = {
    rows: first.rows,
    columns: first.columns,
    pixelSpacing: first.pixelSpacing,
    rowDirection,
    columnDirection,
    positions: sorted.map((instance) => instance.position),
    ...(Number.isFinite(thickness) && thickness > 0 ? { sliceThickness: thickness } : {}),
  };
  return { geometry, sorted };
}

function refuseMismatch(first: ImageHeader, other: ImageHeader, tolerances: GeometryTolerances): void {
  const differs = (what: string, a: unknown, b: unknown): never => {
    throw new InvalidInputError(
      `mixed ${what} in one series: ${basename(first.path)} has ${JSON.stringify(a)}, ${basename(other.path)} has ${JSON.stringify(b)}`,
    );
  };
  if (other.seriesInstanceUid !== first.seriesInstanceUid) differs('SeriesInstanceUID', first.seriesInstanceUid, other.seriesInstanceUid);
  if (other.rows !== first.rows || other.columns !== first.columns) {
    differs('Rows/Columns', [first.rows, first.columns], [other.rows, other.columns]);
  }
  if (!close(first.pixelSpacing, other.pixelSpacing, tolerances.pixelSpacingMm)) differs('PixelSpacing', first.pixelSpacing, other.pixelSpacing);
  if (!close(first.orientation, other.orientation, tolerances.orientation)) {
    differs('ImageOrientationPatient', first.orientation, other.orientation);
  }
}

function close(a: readonly number[], b: readonly number[], tolerance: number): boolean {
  return a.length === b.length && a.every((value, i) => Math.abs(value - b[i]) <= tolerance);
}

function refuseNonOrthonormal(row: Vec3, column: Vec3, path: string): void {
  const unit = (v: Vec3) => Math.abs(Math.hypot(...v) - 1) < 1e-3;
  if (!unit(row) || !unit(column) || Math.abs(dot(row, column)) > 1e-3) {
    throw new InvalidInputError(`${basename(path)}: ImageOrientationPatient ${JSON.stringify([...row, ...column])} is not two orthogonal unit vectors`);
  }
}

/** A tilted gantry moves each slice sideways as well as along the normal. */
function refuseTilt(sorted: readonly ImageHeader[], normal: Vec3, allowedDriftMm: number): void {
  const origin = sorted[0].position;
  for (let i = 1; i < sorted.length; i++) {
    const d: Vec3 = [0, 1, 2].map((k) => sorted[i].position[k] - origin[k]) as unknown as Vec3;
    const along = dot(d, normal);
    const drift = Math.hypot(d[0] - along * normal[0], d[1] - along * normal[1], d[2] - along * normal[2]);
    if (drift > allowedDriftMm) {
      const angle = (Math.atan2(drift, Math.abs(along)) * 180) / Math.PI;
      throw new InvalidInputError(
        `gantry tilt detected: slice positions are not along the slice normal; ${basename(sorted[i].path)} is ` +
          `${drift.toFixed(3)} mm off the normal through ${basename(sorted[0].path)} over ${Math.abs(along).toFixed(3)} mm ` +
          `(tilt angle ${angle.toFixed(2)} degrees); tilted series are not supported`,
      );
    }
  }
}

function refuseBadSpacing(sorted: readonly ImageHeader[], normal: Vec3, tolerances: GeometryTolerances): void {
  const along = sorted.map((instance) => dot(instance.position, normal));
  const problem = spacingProblem(along, tolerances);
  if (!problem) return;
  const [a, b] = [sorted[problem.index], sorted[problem.index + 1]];
  if (problem.kind === 'duplicate') {
    throw new InvalidInputError(`duplicate slice position ${JSON.stringify(b.position)}: ${basename(a.path)} and ${basename(b.path)}`);
  }
  throw new InvalidInputError(
    `irregular slice spacing: gap between slice ${problem.index + 1} (${basename(a.path)}, ${along[problem.index].toFixed(3)} mm) and ` +
      `slice ${problem.index + 2} (${basename(b.path)}, ${along[problem.index + 1].toFixed(3)} mm) is ${problem.gap.toFixed(3)} mm, ` +
      `the median gap is ${problem.median.toFixed(3)} mm (missing or extra slice?)`,
  );
}
