import type { Database } from '../db/database.js';
import type { InstanceHeader } from './read-instance-header.js';

export interface IndexedInstance {
  header: InstanceHeader;
  path: string;
  sizeBytes: number;
  transferSyntaxUid: string;
  callingAeTitle: string;
  receivedAt: Date;
}

export interface IndexOutcome {
  /** False when the same SOP instance had been received before (a resend). */
  newInstance: boolean;
}

/**
 * Records one spooled instance and its series. A new instance of a series that was already routed
 * reopens the series with the next generation, so that its completion makes a superseding job.
 */
export async function indexInstance(db: Database, entry: IndexedInstance): Promise<IndexOutcome> {
  const { header } = entry;
  const tags = header.seriesTags;
  return db.transaction(async (tx) => {
    const instance = await tx.query<{ inserted: boolean }>(
      `INSERT INTO instances (sop_instance_uid, series_instance_uid, study_instance_uid, sop_class_uid,
         transfer_syntax_uid, instance_number, path, size_bytes, calling_ae, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (sop_instance_uid) DO UPDATE SET
         transfer_syntax_uid = EXCLUDED.transfer_syntax_uid, path = EXCLUDED.path,
         size_bytes = EXCLUDED.size_bytes, calling_ae = EXCLUDED.calling_ae, received_at = EXCLUDED.received_at
       RETURNING (xmax = 0) AS inserted`,
      [
        header.sopInstanceUid,
        header.seriesInstanceUid,
        header.studyInstanceUid,
        header.sopClassUid,
        entry.transferSyntaxUid,
        header.instanceNumber,
        entry.path,
        entry.sizeBytes,
        entry.callingAeTitle,
        entry.receivedAt,
      ],
    );
    const newInstance = instance.rows[0]?.inserted === true;
    await tx.query(
      `INSERT INTO series (series_instance_uid, study_instance_uid, patient_id, modality, manufacturer,
         convolution_kernel, rows, columns, slice_thickness, body_part_examined, series_description,
         calling_ae, tags, state, instance_count, first_received_at, last_received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'receiving', 1, $14, $14)
       ON CONFLICT (series_instance_uid) DO UPDATE SET
         last_received_at = GREATEST(series.last_received_at, EXCLUDED.last_received_at),
         instance_count = series.instance_count + CASE WHEN $15 THEN 1 ELSE 0 END,
         generation = series.generation + CASE WHEN $15 AND series.state = 'routed' THEN 1 ELSE 0 END,
         state = CASE WHEN $15 THEN 'receiving' ELSE series.state END`,
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
        entry.callingAeTitle,
        JSON.stringify(tags),
        entry.receivedAt,
        newInstance,
      ],
    );
    return { newInstance };
  });
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
