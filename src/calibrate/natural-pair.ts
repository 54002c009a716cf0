import type { ImageHeader } from '../dicom/file/image-headers.js';

/** How two series were shown to come from one acquisition. */
export type PairLink = 'frame-of-reference' | 'study' | 'acquisition';

export type PairVerdict =
  | {
      readonly kind: 'pair';
      readonly link: PairLink;
      /** [index in a, index in b] of the images at the same position. */
      readonly slices: readonly (readonly [number, number])[];
    }
  | { readonly kind: 'not-a-pair'; readonly reason: string };

/** Slices closer than this (mm, each coordinate) are at the same position. */
const SAME_POSITION_MM = 0.01;
const SAME_SPACING_MM = 0.001;
/** Of the shorter series, at least this share of the slices must have a partner. */
const MIN_SHARED_FRACTION = 0.8;
const MIN_SHARED_SLICES = 2;

/**
 * Whether two series are two reconstructions of one acquisition (a natural pair): same scanner,
 * same matrix, pixel spacing and orientation, the same slice positions, different kernels, and
 * linked by FrameOfReferenceUID or StudyInstanceUID, or, where anonymisation changed those, by the
 * same AcquisitionNumber, AcquisitionTime and per-slice exposure. A verdict that is not a pair says
 * why.
 */
export function naturalPair(a: readonly ImageHeader[], b: readonly ImageHeader[]): PairVerdict {
  if (a.length === 0 || b.length === 0) return refuse('a series has no images');
  const [ta, tb] = [a[0].header, b[0].header];
  const kernels = [kernelOf(a[0]), kernelOf(b[0])];
  if (!kernels[0] || !kernels[1]) return refuse('a series has no ConvolutionKernel');
  if (kernels[0] === kernels[1]) return refuse(`same kernel (${kernels[0]})`);
  const scanners = [a[0], b[0]].map(scannerOf);
  if (scanners[0] !== scanners[1]) return refuse(`different scanners (${scanners[0]} and ${scanners[1]})`);
  if (a[0].rows !== b[0].rows || a[0].columns !== b[0].columns) return refuse(`matrix differs (${a[0].rows}x${a[0].columns} and ${b[0].rows}x${b[0].columns})`);
  if (a[0].pixelSpacing.some((s, k) => Math.abs(s - b[0].pixelSpacing[k]) > SAME_SPACING_MM)) {
    return refuse(`pixel spacing differs (${a[0].pixelSpacing.join('x')} and ${b[0].pixelSpacing.join('x')} mm)`);
  }
  if (a[0].orientation.some((v, k) => Math.abs(v - b[0].orientation[k]) > 1e-4)) return refuse('orientation differs');
  const slices = samePositions(a, b);
  const shorter = Math.min(a.length, b.length);
  if (slices.length < MIN_SHARED_SLICES || slices.length < MIN_SHARED_FRACTION * shorter) {
    return refuse(`positions differ: ${slices.length} of ${shorter} slices share a position within ${SAME_POSITION_MM} mm`);
  }
  if (ta.FrameOfReferenceUID && ta.FrameOfReferenceUID === tb.FrameOfReferenceUID) return { kind: 'pair', link: 'frame-of-reference', slices };
  if (ta.StudyInstanceUID && ta.StudyInstanceUID === tb.StudyInstanceUID) return { kind: 'pair', link: 'study', slices };
  const acquisition = sameAcquisition(a, b, slices);
  if (acquisition === true) return { kind: 'pair', link: 'acquisition', slices };
  return refuse(`not shown to be one acquisition: FrameOfReferenceUID and StudyInstanceUID differ, and ${acquisition}`);
}

/** The kernel as one string: its values trimmed and joined with a backslash, as routing splits them ('Br40d\\3'). */
export function kernelOf(image: ImageHeader): string | undefined {
  const kernel = image.header.ConvolutionKernel;
  const values = (Array.isArray(kernel) ? kernel : [kernel])
    .filter((value) => value !== undefined && value !== null)
    .flatMap((value) => String(value).split('\\'))
    .map((value) => value.trim())
    .filter((value) => value !== '');
  return values.length === 0 ? undefined : values.join('\\');
}

export function scannerOf(image: ImageHeader): string {
  return `${text(image.header.Manufacturer)} ${text(image.header.ManufacturerModelName)}`.trim();
}

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value).trim();
}

function samePositions(a: readonly ImageHeader[], b: readonly ImageHeader[]): [number, number][] {
  const pairs: [number, number][] = [];
  const used = new Set<number>();
  a.forEach((image, i) => {
    const j = b.findIndex((other, k) => !used.has(k) && image.position.every((v, axis) => Math.abs(v - other.position[axis]) <= SAME_POSITION_MM));
    if (j >= 0) {
      used.add(j);
      pairs.push([i, j]);
    }
  });
  return pairs;
}

/** True, or what differs. */
function sameAcquisition(a: readonly ImageHeader[], b: readonly ImageHeader[], slices: readonly (readonly [number, number])[]): true | string {
  for (const keyword of ['AcquisitionNumber', 'AcquisitionTime']) {
    const [va, vb] = [a[0].header[keyword], b[0].header[keyword]];
    if (va === undefined || va === null || va === '') return `${keyword} is missing`;
    if (String(va) !== String(vb)) return `${keyword} differs (${String(va)} and ${String(vb)})`;
  }
  for (const [i, j] of slices) {
    for (const keyword of ['XRayTubeCurrent', 'Exposure']) {
      const [va, vb] = [a[i].header[keyword], b[j].header[keyword]];
      if (va !== undefined && String(va) !== String(vb)) return `${keyword} differs at one position (${String(va)} and ${String(vb)})`;
    }
  }
  const exposure = a[0].header.XRayTubeCurrent ?? a[0].header.Exposure;
  return exposure === undefined ? 'no per-slice exposure to compare' : true;
}

function refuse(reason: string): PairVerdict {
  return { kind: 'not-a-pair', reason };
}
