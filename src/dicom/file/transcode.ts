import dcmjsCodecs from 'dcmjs-codecs';
import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../../errors.js';
import { parsePart10Header } from './part10.js';
import { UNCOMPRESSED_TRANSFER_SYNTAXES } from '../uids.js';

/**
 * The dataset of a Part 10 file re-encoded in another transfer syntax, through dcmjs-codecs. Only
 * for a peer that refused the file's own transfer syntax: the result is parsed and re-written, so
 * it is no longer byte-identical, and it is held in memory whole.
 */
export async function transcodedDataset(path: string, transferSyntaxUid: string): Promise<Buffer> {
  try {
    const bytes = await readFile(path);
    const compressed = [parsePart10Header(bytes, path).transferSyntaxUid, transferSyntaxUid].some(
      (uid) => !UNCOMPRESSED_TRANSFER_SYNTAXES.includes(uid),
    );
    if (compressed && !dcmjsCodecs.NativeCodecs.isInitialized()) await dcmjsCodecs.NativeCodecs.initializeAsync();
    const transcoder = new dcmjsCodecs.Transcoder(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    transcoder.transcode(transferSyntaxUid);
    const part10 = Buffer.from(transcoder.getDicomPart10());
    return part10.subarray(parsePart10Header(part10, path).datasetOffset);
  } catch (error) {
    throw new InvalidInputError(
      `${path}: cannot transcode to ${transferSyntaxUid}: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
}
