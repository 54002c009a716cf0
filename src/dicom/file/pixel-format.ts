import { InvalidInputError } from '../../errors.js';

/** How a slice stores its pixels and how stored values map to Hounsfield units. */
export interface PixelFormat {
  readonly rescaleSlope: number;
  readonly rescaleIntercept: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  /** 0: unsigned, 1: two's complement. */
  readonly pixelRepresentation: number;
}

/** Reads the pixel format tags of a naturalized dataset, with the defaults the standard allows. */
export function pixelFormatOf(header: Record<string, unknown>, where: string): PixelFormat {
  const format = {
    rescaleSlope: numberTag(header, 'RescaleSlope', where, 1),
    rescaleIntercept: numberTag(header, 'RescaleIntercept', where, 0),
    bitsAllocated: numberTag(header, 'BitsAllocated', where),
    bitsStored: numberTag(header, 'BitsStored', where),
    pixelRepresentation: numberTag(header, 'PixelRepresentation', where),
  };
  if (format.rescaleSlope === 0) throw new InvalidInputError(`${where}: RescaleSlope is 0`);
  if (format.bitsAllocated !== 8 && format.bitsAllocated !== 16) {
    throw new InvalidInputError(`${where}: BitsAllocated ${format.bitsAllocated} is not supported (8 or 16)`);
  }
  if (format.bitsStored < 1 || format.bitsStored > format.bitsAllocated) {
    throw new InvalidInputError(`${where}: BitsStored ${format.bitsStored} does not fit BitsAllocated ${format.bitsAllocated}`);
  }
  if (format.pixelRepresentation !== 0 && format.pixelRepresentation !== 1) {
    throw new InvalidInputError(`${where}: PixelRepresentation ${format.pixelRepresentation} must be 0 or 1`);
  }
  return format;
}

function numberTag(header: Record<string, unknown>, keyword: string, where: string, fallback?: number): number {
  const raw = Array.isArray(header[keyword]) ? (header[keyword] as unknown[])[0] : header[keyword];
  if (raw === undefined || raw === null || raw === '') {
    if (fallback !== undefined) return fallback;
    throw new InvalidInputError(`${where}: missing ${keyword}`);
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new InvalidInputError(`${where}: ${keyword} is not a number: ${String(raw)}`);
  return value;
}
