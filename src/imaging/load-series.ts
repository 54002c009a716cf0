import { open, readFile } from 'node:fs/promises';
import dicomParser from 'dicom-parser';
import { InvalidInputError } from '../errors.js';
import { assembleGeometry, DEFAULT_TOLERANCES, type GeometryTolerances } from './assemble-geometry.js';
import { PIXEL_DATA_TAG, readPart10, toArrayBuffer, type NaturalDataset } from './dcmjs.js';
import { dicomParserMessage } from '../dicom/dicom-parser-error.js';
import { checkDecodable, decodeFrame, isCompressed, prepareDecoders, type FrameInfo } from './decode-pixels.js';
import type { SeriesGeometry, Vec3 } from './geometry.js';
import { storedToHu, storedValues } from './hounsfield.js';
import type { InstanceHeader } from './instance-header.js';
import { readInstanceHeaders } from './instance-header.js';
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
  const headers = (await mapLimited(files, HEADER_READS_IN_FLIGHT, readInstanceHeaders)).flat();
  const { geometry, sorted } = assembleGeometry(headers, { ...DEFAULT_TOLERANCES, ...options.tolerances });
  const frames = sorted.map(frameInfo);
  frames.forEach(checkDecodable);
  if (frames.some((frame) => isCompressed(frame.transferSyntaxUid))) await prepareDecoders();
  return {
    source: new DicomSliceSource(geometry, frames, options.cacheSlices ?? 4),
    instances: sorted.map(sourceInstance),
  };
}

function frameInfo(header: InstanceHeader): FrameInfo {
  return {
    path: header.path,
    transferSyntaxUid: header.transferSyntaxUid,
    rows: header.rows,
    columns: header.columns,
    samplesPerPixel: header.samplesPerPixel,
    photometricInterpretation: header.photometricInterpretation,
    pixelFormat: header.pixelFormat,
    frame: header.frame,
  };
}

function sourceInstance(header: InstanceHeader): SourceInstance {
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
  /** Where PixelData's value starts in each multi-frame file of this series (its header is parsed once). */
  private readonly pixelDataOffsets = new Map<string, Promise<number>>();

  constructor(
    readonly geometry: SeriesGeometry,
    private readonly frames: readonly FrameInfo[],
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
    const reading = readHuSlice(this.frames[index], this.pixelDataOffsets);
    this.cache.set(index, reading);
    reading.catch(() => this.cache.delete(index));
    return reading;
  }
}

async function readHuSlice(frame: FrameInfo, pixelDataOffsets: Map<string, Promise<number>>): Promise<Float32Array> {
  if (frame.frame) return storedToHu(storedValues(await readNativeFrame(frame, pixelDataOffsets), frame.pixelFormat), frame.pixelFormat);
  const bytes = await readFile(frame.path);
  let pixelData: unknown;
  try {
    pixelData = readPart10(toArrayBuffer(bytes)).dict[PIXEL_DATA_TAG]?.Value;
  } catch (error) {
    throw new InvalidInputError(`${frame.path}: cannot read the file again (${(error as Error).message})`, error);
  }
  if (!Array.isArray(pixelData) || pixelData.length === 0) throw new InvalidInputError(`${frame.path}: has no PixelData`);
  const raw = decodeFrame(pixelData as ArrayBuffer[], frame);
  return storedToHu(storedValues(raw, frame.pixelFormat), frame.pixelFormat);
}

async function pixelDataOffset(path: string, pixelDataOffsets: Map<string, Promise<number>>): Promise<number> {
  let offset = pixelDataOffsets.get(path);
  if (!offset) {
    offset = readFile(path).then((bytes) => {
      let element: { dataOffset: number } | undefined;
      try {
        element = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' }).elements.x7fe00010;
      } catch (thrown) {
        throw new InvalidInputError(`${path}: cannot read the file again (${dicomParserMessage(thrown)})`, thrown);
      }
      if (!element) throw new InvalidInputError(`${path}: has no PixelData`);
      return element.dataOffset;
    });
    pixelDataOffsets.set(path, offset);
    offset.catch(() => pixelDataOffsets.delete(path));
  }
  return offset;
}

/** One frame of native (uncompressed) multi-frame pixel data, read from its own byte range. */
async function readNativeFrame(frame: FrameInfo, pixelDataOffsets: Map<string, Promise<number>>): Promise<Uint16Array | Uint8Array> {
  const frameBytes = frame.rows * frame.columns * (frame.pixelFormat.bitsAllocated / 8);
  const start = (await pixelDataOffset(frame.path, pixelDataOffsets)) + (frame.frame!.number - 1) * frameBytes;
  const handle = await open(frame.path, 'r');
  try {
    const bytes = Buffer.alloc(frameBytes);
    const { bytesRead } = await handle.read(bytes, 0, frameBytes, start);
    if (bytesRead < frameBytes) throw new InvalidInputError(`${frame.path}: frame ${frame.frame!.number} ends past the end of the file`);
    return decodeFrame([bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + frameBytes)], frame);
  } finally {
    await handle.close();
  }
}

export type { NaturalDataset };
