import { assembleGeometry, DEFAULT_TOLERANCES, type GeometryTolerances } from './assemble-geometry.js';
import type { NaturalDataset } from '../dicom/file/dcmjs.js';
import { checkDecodable, isCompressed, prepareDecoders } from '../dicom/file/decode-pixels.js';
import { readFramePixels, type LocatedFrame } from '../dicom/file/read-pixels.js';
import type { SeriesGeometry, Vec3 } from './geometry.js';
import { rawToHu } from './hounsfield.js';
import type { ImageHeader } from '../dicom/file/image-headers.js';
import { readImageHeaders } from '../dicom/file/image-headers.js';
import { LruCache } from './lru-cache.js';
import { mapLimited } from './map-limited.js';
import type { SliceSource } from './slice-source.js';

/** One source file of a loaded series, in the same (sorted) order as the slices. */
export interface SourceInstance {
  readonly path: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  /** dcmjs naturalized dataset without PixelData, for copying tags into a derived series. */
  readonly header: Record<string, unknown>;
  readonly position: Vec3;
  /** 1-based frame number when the source is a multi-frame (Enhanced CT) object. */
  readonly frameNumber?: number;
}

export interface LoadedSeries {
  readonly source: SliceSource;
  readonly instances: SourceInstance[];
}

export interface OpenSeriesOptions {
  /** How many decoded slices to keep (default 4); memory stays flat whatever the slice count. */
  readonly cacheSlices?: number;
  readonly tolerances?: Partial<GeometryTolerances>;
}

/**
 * Opens the files of one CT series as a lazy stack of HU slices sorted along the slice normal: CT
 * Image files (a slice each) or Enhanced CT files (a slice per frame). Headers are read and checked
 * at once; pixels are read and decoded when a slice is asked for. Throws InvalidInputError when the
 * images are not one regular, untilted series.
 */
/** Enough to keep the disk busy without running out of file handles on long series. */
const HEADER_READS_IN_FLIGHT = 16;

export async function openSeries(files: string[], options: OpenSeriesOptions = {}): Promise<LoadedSeries> {
  return openSeriesFromHeaders((await mapLimited(files, HEADER_READS_IN_FLIGHT, readImageHeaders)).flat(), options);
}

/** The same, from headers already read (offline processing reads them once, to group files by series). */
export async function openSeriesFromHeaders(headers: readonly ImageHeader[], options: OpenSeriesOptions = {}): Promise<LoadedSeries> {
  const { geometry, sorted } = assembleGeometry(headers, { ...DEFAULT_TOLERANCES, ...options.tolerances });
  const frames = sorted.map(frameInfo);
  frames.forEach(checkDecodable);
  if (frames.some((frame) => isCompressed(frame.transferSyntaxUid))) await prepareDecoders();
  return {
    source: new DicomSliceSource(geometry, frames, options.cacheSlices ?? 4),
    instances: sorted.map(sourceInstance),
  };
}

function frameInfo(header: ImageHeader): LocatedFrame {
  return {
    path: header.path,
    transferSyntaxUid: header.transferSyntaxUid,
    rows: header.rows,
    columns: header.columns,
    samplesPerPixel: header.samplesPerPixel,
    photometricInterpretation: header.photometricInterpretation,
    pixelFormat: header.pixelFormat,
    frame: header.frame,
    pixelData: header.pixelData,
  };
}

function sourceInstance(header: ImageHeader): SourceInstance {
  return {
    path: header.path,
    sopInstanceUid: header.sopInstanceUid,
    sopClassUid: header.sopClassUid,
    header: header.header,
    position: header.position,
    frameNumber: header.frame?.number,
  };
}

class DicomSliceSource implements SliceSource {
  readonly sliceCount: number;
  private readonly cache: LruCache<number, Promise<Float32Array>>;

  constructor(
    readonly geometry: SeriesGeometry,
    private readonly frames: readonly LocatedFrame[],
    cacheSlices: number,
  ) {
    this.sliceCount = frames.length;
    this.cache = new LruCache(cacheSlices);
  }

  readSlice(index: number): Promise<Float32Array> {
    if (!Number.isInteger(index) || index < 0 || index >= this.sliceCount) {
      return Promise.reject(new RangeError(`slice index ${index} outside 0..${this.sliceCount - 1}`));
    }
    const cached = this.cache.get(index);
    if (cached) return cached;
    const frame = this.frames[index];
    const reading = readFramePixels(frame).then((raw) => rawToHu(raw, frame.pixelFormat));
    this.cache.set(index, reading);
    reading.catch(() => this.cache.delete(index));
    return reading;
  }
}

export type { NaturalDataset };
