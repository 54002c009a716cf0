export type Vec3 = readonly [number, number, number];

/**
 * The geometry of a series of parallel slices, in DICOM patient coordinates (mm).
 * Slices are sorted along the slice normal (rowDirection x columnDirection), ascending.
 */
export interface SeriesGeometry {
  readonly rows: number;
  readonly columns: number;
  /** DICOM PixelSpacing order: [spacing between rows, spacing between columns] in mm. */
  readonly pixelSpacing: readonly [number, number];
  /** ImageOrientationPatient first triple: direction of increasing column index. */
  readonly rowDirection: Vec3;
  /** ImageOrientationPatient second triple: direction of increasing row index. */
  readonly columnDirection: Vec3;
  /** ImagePositionPatient (centre of the first transmitted pixel) of each slice, in sorted order. */
  readonly positions: readonly Vec3[];
  readonly sliceThickness?: number;
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function sliceNormal(geometry: Pick<SeriesGeometry, 'rowDirection' | 'columnDirection'>): Vec3 {
  return cross(geometry.rowDirection, geometry.columnDirection);
}
