/**
 * bulk/ — `ctprep bulk`: a query of a PACS (query.ts: the filters; find-series.ts: C-FIND at
 * study, series and, for a kernel the PACS does not give per series, image level), the series
 * moved to the node started in this process (move-series.ts: C-MOVE), followed through the node's
 * own tables to the end of their jobs (series-stage.ts), and copied to a folder tree
 * (out-folder.ts); run-bulk.ts runs them with bounded concurrency and resumes from the tables.
 * May import: node (the composition root it starts), dicom, store, config, imaging (mapLimited),
 * validation, errors, log.
 */
export { runBulk, type BulkItem, type BulkOutcome, type BulkReport, type BulkRequest } from './run-bulk.js';
export { parseQuery, type BulkQuery } from './query.js';
