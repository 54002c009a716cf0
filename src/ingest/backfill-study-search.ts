import { readIndexHeader } from '../dicom/file/index-header.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import { saveStudySearch, seriesAwaitingStudySearch } from '../store/series.js';

/**
 * Series indexed before the study search columns existed (migration 007) get them from one of
 * their files in the spool, once: PatientName, AccessionNumber, StudyDate, StudyDescription.
 * A series whose files are gone keeps empty columns and is not tried again.
 */
export async function backfillStudySearch(db: Database, log: Logger): Promise<number> {
  let filled = 0;
  for (;;) {
    const batch = await seriesAwaitingStudySearch(db, 200);
    if (batch.length === 0) return filled;
    for (const { seriesInstanceUid, path } of batch) {
      const tags = path ? await readIndexHeader(path).then((header) => header.seriesTags, () => undefined) : undefined;
      if (!tags) log.warn({ series: seriesInstanceUid }, 'no readable file left in the spool: study search fields stay empty');
      await saveStudySearch(db, seriesInstanceUid, tags ?? {});
      if (tags) filled += 1;
    }
  }
}
