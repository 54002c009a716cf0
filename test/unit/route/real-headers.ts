import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// dcmjs ships no type declarations; the test only needs two calls of it.
const require = createRequire(import.meta.url);
const dcmjs = require('dcmjs') as {
  log: { getLogger(name: string): { getLevel(): number; setLevel(level: number | string): void } };
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options: { untilTag: string }): { dict: unknown } };
    DicomMetaDictionary: { naturalizeDataset(dict: unknown): Record<string, unknown> };
  };
};

export const CT_DATA = path.resolve(process.cwd(), '../shared/data/ct');

/** The dcmjs-naturalized header of the first file of one series folder of ../shared/data/ct. */
export function firstHeader(series: string): Record<string, unknown> {
  const folder = path.join(CT_DATA, series);
  const file = readdirSync(folder).filter((name) => !name.startsWith('.')).sort()[0];
  const bytes = readFileSync(path.join(folder, file));
  // dcmjs logs "Invalid vr type ox" for Implicit VR PixelData though it reads it right; quiet it
  // for this call. Stop before PixelData: the header is all routing needs.
  const logger = dcmjs.log.getLogger('validation.dcmjs');
  const level = logger.getLevel();
  logger.setLevel('silent');
  try {
    const message = dcmjs.data.DicomMessage.readFile(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      { untilTag: '7FE00010' },
    );
    return dcmjs.data.DicomMetaDictionary.naturalizeDataset(message.dict);
  } finally {
    logger.setLevel(level);
  }
}
