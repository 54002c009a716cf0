/**
 * ingest/ — what the listener received: the durable spool on disk, indexing (in batches, off the
 * C-STORE path), the resend policy, and deciding when a series is complete (quiet, sent whole, at
 * regular positions). Calls a function it is given for each complete series (routing).
 * May import: store, dicom/file, imaging (slice spacing), errors, log, timers.
 */
export { startIngest, type Ingest, type IngestDeps } from './start-ingest.js';
export { openSpool, type Spool } from './spool.js';
export { backfillStudySearch } from './backfill-study-search.js';
