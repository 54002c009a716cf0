import { InvalidInputError } from '../errors.js';
import { dcmjs, type NaturalDataset, toArrayBuffer } from './file/dcmjs.js';

/**
 * C-FIND and C-MOVE identifiers: small datasets of query keys, without file meta, in the transfer
 * syntax of their presentation context. Encoded and decoded by dcmjs (its dictionary gives each
 * keyword's VR; it honours SpecificCharacterSet in what the peer answers).
 */

/** A naturalized identifier: keywords to values; '' asks for the attribute (universal matching). */
export type Identifier = NaturalDataset;

export function encodeIdentifier(identifier: Identifier, transferSyntaxUid: string): Buffer {
  const stream = new dcmjs.data.WriteBufferStream();
  dcmjs.data.DicomMessage.write(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(identifier), stream, transferSyntaxUid, {});
  return Buffer.from(stream.getBuffer());
}

/** The peer's identifier as keywords to values; string values without DICOM's trailing padding. */
export function decodeIdentifier(bytes: Buffer, transferSyntaxUid: string): Identifier {
  let natural: NaturalDataset;
  try {
    const dataset = dcmjs.data.DicomMessage._read(new dcmjs.data.ReadBufferStream(toArrayBuffer(bytes)), transferSyntaxUid);
    natural = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dataset);
  } catch (error) {
    throw new InvalidInputError(`unreadable identifier of ${bytes.length} bytes: ${(error as Error).message}`, error);
  }
  const trimmed: Identifier = {};
  for (const [keyword, value] of Object.entries(natural)) {
    if (keyword === '_vrMap') continue;
    trimmed[keyword] = typeof value === 'string' ? value.trim() : Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v.trim() : v)) : value;
  }
  return trimmed;
}
