import type { Calibration, CalibrationKey } from '../calibrate/calibration.js';
import type { Queryable } from '../db/database.js';
import { JobState, SeriesState } from './states.js';

/**
 * Stores a calibration; one fitted again on the same two series replaces the earlier one.
 * Returns false when a calibration with this id is already stored (an import run twice).
 */
export async function saveCalibration(db: Queryable, calibration: Calibration): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO calibrations (id, manufacturer, model_name, source_kernel, target_kernel, source_series_uid, target_series_uid, calibration, fitted_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (source_series_uid, target_series_uid) DO UPDATE
       SET id = EXCLUDED.id, calibration = EXCLUDED.calibration, fitted_at = EXCLUDED.fitted_at,
           manufacturer = EXCLUDED.manufacturer, model_name = EXCLUDED.model_name,
           source_kernel = EXCLUDED.source_kernel, target_kernel = EXCLUDED.target_kernel
       WHERE calibrations.id <> EXCLUDED.id`,
    [
      calibration.id,
      calibration.scanner.manufacturer,
      calibration.scanner.modelName,
      calibration.sourceKernel,
      calibration.targetKernel,
      calibration.provenance.sourceSeriesInstanceUid,
      calibration.provenance.targetSeriesInstanceUid,
      JSON.stringify(calibration),
      calibration.provenance.fittedAt,
    ],
  );
  return (rowCount ?? 0) > 0;
}

/** Newest first. */
export async function listCalibrations(db: Queryable): Promise<Calibration[]> {
  const { rows } = await db.query<{ calibration: Calibration }>('SELECT calibration FROM calibrations ORDER BY fitted_at DESC, id');
  return rows.map((row) => row.calibration);
}

export async function getCalibration(db: Queryable, id: string): Promise<Calibration | undefined> {
  const { rows } = await db.query<{ calibration: Calibration }>('SELECT calibration FROM calibrations WHERE id = $1', [id]);
  return rows[0]?.calibration;
}

/** The newest calibration for each target kernel of this scanner and source kernel (one target when the key names it). */
export async function calibrationsFor(db: Queryable, key: CalibrationKey): Promise<Calibration[]> {
  const { rows } = await db.query<{ calibration: Calibration }>(
    `SELECT DISTINCT ON (target_kernel) calibration FROM calibrations
      WHERE manufacturer = $1 AND model_name = $2 AND source_kernel = $3 AND ($4::text IS NULL OR target_kernel = $4)
      ORDER BY target_kernel, fitted_at DESC`,
    [key.manufacturer, key.modelName, key.sourceKernel, key.targetKernel ?? null],
  );
  return rows.map((row) => row.calibration);
}

/**
 * Complete series that may be the other reconstruction of this one's acquisition (calibrate/
 * natural-pair.ts decides from the files): same scanner and matrix, another kernel, original
 * images, linked by study, frame of reference, or acquisition number and time; pairs already
 * calibrated are left out.
 */
export async function naturalPairCandidates(db: Queryable, seriesInstanceUid: string): Promise<string[]> {
  const original = (alias: string) => `COALESCE(${alias}.tags->'ImageType'->>0, ${alias}.tags->>'ImageType', 'ORIGINAL') ILIKE 'ORIGINAL%'`;
  const { rows } = await db.query<{ series_instance_uid: string }>(
    `SELECT other.series_instance_uid FROM series me
       JOIN series other ON other.series_instance_uid <> me.series_instance_uid
        AND other.state = $2 AND other.rows = me.rows AND other.columns = me.columns
        AND other.manufacturer IS NOT DISTINCT FROM me.manufacturer
        AND other.tags->>'ManufacturerModelName' IS NOT DISTINCT FROM me.tags->>'ManufacturerModelName'
        AND other.convolution_kernel IS DISTINCT FROM me.convolution_kernel
        AND (other.study_instance_uid = me.study_instance_uid
             OR other.tags->>'FrameOfReferenceUID' = me.tags->>'FrameOfReferenceUID'
             OR (other.tags->>'AcquisitionTime' = me.tags->>'AcquisitionTime' AND other.tags->>'AcquisitionNumber' = me.tags->>'AcquisitionNumber'))
      WHERE me.series_instance_uid = $1 AND ${original('me')} AND ${original('other')}
        AND NOT EXISTS (SELECT 1 FROM calibrations c
                         WHERE (c.source_series_uid = me.series_instance_uid AND c.target_series_uid = other.series_instance_uid)
                            OR (c.source_series_uid = other.series_instance_uid AND c.target_series_uid = me.series_instance_uid))
      ORDER BY other.series_instance_uid`,
    [seriesInstanceUid, SeriesState.Routed],
  );
  return rows.map((row) => row.series_instance_uid);
}

/**
 * Series of the calibration's scanner and source kernel, in the studies of the pair it was fitted
 * on, whose current job ran a kernel-transfer step's fallback (delivering or done), or runs a
 * kernel-transfer step now while this is the scanner's first calibration of that kernel (it may
 * have looked before this one was stored, and found none): they are routed again, so that the
 * calibrated derived series of that acquisition replaces the fallback's.
 */
export async function seriesToRedoWithCalibration(db: Queryable, calibration: Calibration): Promise<string[]> {
  const { rows } = await db.query<{ series_instance_uid: string }>(
    `SELECT DISTINCT s.series_instance_uid FROM series s
       JOIN jobs j ON j.series_instance_uid = s.series_instance_uid AND j.series_generation = s.generation
      WHERE s.study_instance_uid IN (SELECT study_instance_uid FROM series WHERE series_instance_uid IN ($1, $2))
        AND s.state = $3 AND s.files_removed_at IS NULL
        AND s.manufacturer IS NOT DISTINCT FROM $4 AND s.tags->>'ManufacturerModelName' IS NOT DISTINCT FROM $5
        AND s.convolution_kernel = $6
        AND EXISTS (SELECT 1 FROM jsonb_array_elements(j.steps) step
                     WHERE step->>'kind' = 'kernel-transfer'
                       AND ((j.state = ANY($7::text[]) AND step->'report' ? 'fallback')
                            OR (j.state = $8 AND NOT EXISTS (SELECT 1 FROM calibrations c
                                 WHERE c.manufacturer = $4 AND c.model_name = $5 AND c.source_kernel = $6 AND c.id <> $9))))
      ORDER BY s.series_instance_uid`,
    [
      calibration.provenance.sourceSeriesInstanceUid,
      calibration.provenance.targetSeriesInstanceUid,
      SeriesState.Routed,
      calibration.scanner.manufacturer,
      calibration.scanner.modelName,
      calibration.sourceKernel,
      [JobState.Delivering, JobState.Done],
      JobState.Running,
      calibration.id,
    ],
  );
  return rows.map((row) => row.series_instance_uid);
}

/** Failed jobs that refused for want of a calibration of this scanner and kernel (retried once one exists). */
export async function jobsAwaitingCalibration(db: Queryable, calibration: Calibration, noCalibrationMessage: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT j.id FROM jobs j JOIN series s ON s.series_instance_uid = j.series_instance_uid
      WHERE j.state = $1 AND j.error LIKE '%' || $2 || '%'
        AND s.manufacturer IS NOT DISTINCT FROM $3 AND s.tags->>'ManufacturerModelName' IS NOT DISTINCT FROM $4
        AND s.convolution_kernel = $5`,
    [JobState.Failed, noCalibrationMessage, calibration.scanner.manufacturer, calibration.scanner.modelName, calibration.sourceKernel],
  );
  return rows.map((row) => row.id);
}
