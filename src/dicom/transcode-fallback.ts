import dcmjsDimse from 'dcmjs-dimse';
import { InvalidInputError } from '../errors.js';
import { UNCOMPRESSED_TRANSFER_SYNTAXES } from './uids.js';

const { Dataset, Transcoding } = dcmjsDimse;

/**
 * The dataset of a Part 10 file re-encoded in another transfer syntax, through dcmjs-dimse
 * (dcmjs-codecs for compressed syntaxes). Only for a peer that refused the file's own transfer
 * syntax: the result is parsed and re-written, so it is no longer byte-identical, and it is held
 * in memory whole.
 */
export async function transcodedDataset(path: string, transferSyntaxUid: string): Promise<Buffer> {
  try {
    const dataset = Dataset.fromFile(path) as InstanceType<typeof Dataset>;
    const compressed = [dataset.getTransferSyntaxUid(), transferSyntaxUid].some(
      (uid) => !UNCOMPRESSED_TRANSFER_SYNTAXES.includes(uid),
    );
    if (compressed && !Transcoding.isInitialized()) await Transcoding.initializeAsync();
    return Transcoding.transcodeDataset(dataset, transferSyntaxUid).getDenaturalizedDataset();
  } catch (error) {
    throw new InvalidInputError(
      `${path}: cannot transcode to ${transferSyntaxUid}: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
}
