import type { Queryable } from '../db/database.js';
import { readIndexHeader } from '../dicom/file/index-header.js';
import { seriesFiles } from '../store/instances.js';

/**
 * A series' tags as its first file in the spool says them now, over the ones stored when it was
 * indexed: a series indexed by an earlier version of the node lacks the keywords added since
 * (ProtocolName), which the current rules may match on. The stored tags where no file is readable.
 */
export async function tagsReadAgain(db: Queryable, seriesInstanceUid: string, stored: Record<string, unknown>): Promise<Record<string, unknown>> {
  const [file] = await seriesFiles(db, seriesInstanceUid);
  const header = file === undefined ? undefined : await readIndexHeader(file).catch(() => undefined);
  return header ? { ...stored, ...header.seriesTags } : stored;
}
