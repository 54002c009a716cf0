import type { Queryable } from '../db/database.js';

export interface InstanceConflict {
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly callingAeTitle: string;
  readonly receivedAt: Date;
  /** The later copy's file name under spool/conflicts/ (kept-first) or of the copy it replaced. */
  readonly conflictFile: string;
  readonly outcome: 'kept-first' | 'replaced';
}

export async function recordInstanceConflict(db: Queryable, conflict: InstanceConflict): Promise<void> {
  await db.query(
    `INSERT INTO instance_conflicts (sop_instance_uid, series_instance_uid, calling_ae, received_at, conflict_file, outcome)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [conflict.sopInstanceUid, conflict.seriesInstanceUid, conflict.callingAeTitle, conflict.receivedAt, conflict.conflictFile, conflict.outcome],
  );
}

/** Index rows of instances already received, by SOP Instance UID. */
export async function indexedInstances(db: Queryable, sopInstanceUids: readonly string[]): Promise<Map<string, { path: string }>> {
  if (sopInstanceUids.length === 0) return new Map();
  const { rows } = await db.query<{ sop_instance_uid: string; path: string }>(
    'SELECT sop_instance_uid, path FROM instances WHERE sop_instance_uid = ANY($1::text[])',
    [sopInstanceUids],
  );
  return new Map(rows.map((row) => [row.sop_instance_uid, { path: row.path }]));
}
