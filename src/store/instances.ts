import type { Database, Queryable } from '../db/database.js';
import type { IndexHeader } from '../dicom/file/index-header.js';
import { SeriesState } from './states.js';

export interface IndexedInstance {
  header: IndexHeader;
  path: string;
  sizeBytes: number;
  transferSyntaxUid: string;
  callingAeTitle: string;
  receivedAt: Date;
  /** It replaces an indexed copy with other content: its series is processed again. */
  replaces?: boolean;
}

export interface IndexOutcome {
  /** False when the same SOP instance had been received before (a resend). */
  newInstance: boolean;
}

/**
 * Records a batch of instances in one transaction with one statement for all instances and one per
 * series, so that indexing keeps up with the network (embedded Postgres runs each statement on the
 * main thread). A new instance of a series that was already routed reopens the series with the next
 * generation, so that its completion makes a superseding job. Outcomes follow the entries' order.
 */
export async function indexInstances(db: Database, entries: readonly IndexedInstance[]): Promise<IndexOutcome[]> {
  // One row per SOP instance: within a batch, a resend replaces the earlier copy.
  const latest = new Map(entries.map((entry) => [entry.header.sopInstanceUid, entry]));
  return db.transaction(async (tx) => {
    const inserted = await upsertInstances(tx, [...latest.values()]);
    const bySeries = new Map<string, IndexedInstance[]>();
    for (const entry of latest.values()) {
      const list = bySeries.get(entry.header.seriesInstanceUid) ?? [];
      list.push(entry);
      bySeries.set(entry.header.seriesInstanceUid, list);
    }
    for (const list of bySeries.values()) {
      const added = list.filter((entry) => inserted.has(entry.header.sopInstanceUid)).length;
      const changed = list.filter((entry) => entry.replaces && !inserted.has(entry.header.sopInstanceUid)).length;
      await upsertSeries(tx, list, added, changed);
    }
    const seen = new Set<string>();
    return entries.map((entry) => {
      const uid = entry.header.sopInstanceUid;
      const first = !seen.has(uid);
      seen.add(uid);
      return { newInstance: first && inserted.has(uid) };
    });
  });
}

export async function indexInstance(db: Database, entry: IndexedInstance): Promise<IndexOutcome> {
  return (await indexInstances(db, [entry]))[0]!;
}

/** Returns the SOP Instance UIDs that were not in the index before. */
async function upsertInstances(tx: Queryable, entries: readonly IndexedInstance[]): Promise<Set<string>> {
  const column = <T>(pick: (entry: IndexedInstance) => T) => entries.map(pick);
  const { rows } = await tx.query<{ sop_instance_uid: string; inserted: boolean }>(
    `INSERT INTO instances (sop_instance_uid, series_instance_uid, study_instance_uid, sop_class_uid,
       transfer_syntax_uid, instance_number, path, size_bytes, calling_ae, received_at, slice_position)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[],
       $8::bigint[], $9::text[], $10::timestamptz[], $11::float8[])
     ON CONFLICT (sop_instance_uid) DO UPDATE SET
       transfer_syntax_uid = EXCLUDED.transfer_syntax_uid, path = EXCLUDED.path,
       size_bytes = EXCLUDED.size_bytes, calling_ae = EXCLUDED.calling_ae, received_at = EXCLUDED.received_at,
       slice_position = EXCLUDED.slice_position
     RETURNING sop_instance_uid, (xmax = 0) AS inserted`,
    [
      column((entry) => entry.header.sopInstanceUid),
      column((entry) => entry.header.seriesInstanceUid),
      column((entry) => entry.header.studyInstanceUid),
      column((entry) => entry.header.sopClassUid),
      column((entry) => entry.transferSyntaxUid),
      column((entry) => entry.header.instanceNumber),
      column((entry) => entry.path),
      column((entry) => entry.sizeBytes),
      column((entry) => entry.callingAeTitle),
      column((entry) => entry.receivedAt),
      column((entry) => entry.header.slicePosition),
    ],
  );
  return new Set(rows.filter((row) => row.inserted).map((row) => row.sop_instance_uid));
}

/** New instances count the series up; new and replaced ones reopen a routed series as its next generation. */
async function upsertSeries(tx: Queryable, entries: readonly IndexedInstance[], newInstances: number, replacedInstances: number): Promise<void> {
  const { header } = entries[0]!;
  const tags = header.seriesTags;
  const lastReceived = new Date(Math.max(...entries.map((entry) => entry.receivedAt.getTime())));
  await tx.query(
    `INSERT INTO series (series_instance_uid, study_instance_uid, patient_id, modality, manufacturer,
       convolution_kernel, rows, columns, slice_thickness, body_part_examined, series_description,
       calling_ae, tags, state, instance_count, first_received_at, last_received_at,
       patient_name, accession_number, study_date, study_description)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $17, $15, $14, $14, $18, $19, $20, $21)
     ON CONFLICT (series_instance_uid) DO UPDATE SET
       last_received_at = GREATEST(series.last_received_at, EXCLUDED.last_received_at),
       instance_count = series.instance_count + $15,
       generation = series.generation + CASE WHEN $15 + $16 > 0 AND series.state <> $17 THEN 1 ELSE 0 END,
       state = CASE WHEN $15 + $16 > 0 THEN $17 ELSE series.state END,
       incomplete_reason = CASE WHEN $15 + $16 > 0 THEN NULL ELSE series.incomplete_reason END,
       files_removed_at = CASE WHEN $15 + $16 > 0 THEN NULL ELSE series.files_removed_at END`,
    [
      header.seriesInstanceUid,
      header.studyInstanceUid,
      text(tags.PatientID),
      text(tags.Modality),
      text(tags.Manufacturer),
      text(tags.ConvolutionKernel),
      integer(tags.Rows),
      integer(tags.Columns),
      number(tags.SliceThickness),
      text(tags.BodyPartExamined),
      text(tags.SeriesDescription),
      entries[0]!.callingAeTitle,
      JSON.stringify(tags),
      lastReceived,
      newInstances,
      replacedInstances,
      SeriesState.Receiving,
      ...studySearchValues(tags),
    ],
  );
}

/** PatientName, AccessionNumber, StudyDate and StudyDescription as the search columns keep them. */
export function studySearchValues(tags: Record<string, unknown>): [string | null, string | null, string | null, string | null] {
  return [personNameText(tags.PatientName), text(tags.AccessionNumber), text(tags.StudyDate), text(tags.StudyDescription)];
}

/** A PatientName as dcmjs naturalizes it ([{ Alphabetic: 'DOE^JANE' }]) or as a plain string, as 'DOE^JANE'. */
function personNameText(value: unknown): string | null {
  const names = (Array.isArray(value) ? value : [value]).map((name) => (name && typeof name === 'object' ? (name as { Alphabetic?: unknown }).Alphabetic : name));
  return text(names.filter((name) => name !== undefined && name !== null && name !== '').map(String));
}

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return Array.isArray(value) ? value.map(String).join('\\') : String(value);
}

function number(value: unknown): number | null {
  const parsed = Number(Array.isArray(value) ? value[0] : value);
  return value === undefined || value === null || value === '' || !Number.isFinite(parsed) ? null : parsed;
}

function integer(value: unknown): number | null {
  const parsed = number(value);
  return parsed === null ? null : Math.round(parsed);
}

/** The spool files of a series, in instance number order. */
export async function seriesFiles(db: Queryable, seriesInstanceUid: string): Promise<string[]> {
  const { rows } = await db.query<{ path: string }>(
    'SELECT path FROM instances WHERE series_instance_uid = $1 ORDER BY instance_number NULLS LAST, sop_instance_uid',
    [seriesInstanceUid],
  );
  return rows.map((row) => row.path);
}

/** Where the slices of a series lie along their normal (mm), ascending; null for multi-frame objects. */
export async function slicePositions(db: Queryable, seriesInstanceUid: string): Promise<(number | null)[]> {
  const { rows } = await db.query<{ slice_position: number | null }>(
    'SELECT slice_position FROM instances WHERE series_instance_uid = $1 ORDER BY slice_position',
    [seriesInstanceUid],
  );
  return rows.map((row) => (row.slice_position === null ? null : Number(row.slice_position)));
}
