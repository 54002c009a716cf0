import { z } from 'zod';
import type { SeriesSearch } from '../store/series-queries.js';
import { seriesStates } from '../store/states.js';
import { describeIssues } from '../validation.js';
import { badRequest } from './http-error.js';
import type { Page } from './request-values.js';

/** A search value: exact, or a prefix when it ends with '*'. */
const searchText = z.string().trim().min(1).max(128);
/** A study date as YYYY-MM-DD or as DICOM writes it (YYYYMMDD); kept as YYYYMMDD. */
const studyDate = z
  .string()
  .regex(/^\d{4}-?\d{2}-?\d{2}$/, { message: 'expected a date as YYYY-MM-DD or YYYYMMDD' })
  .transform((value) => value.replaceAll('-', ''));
const wholeNumber = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'expected a whole number' })
    .transform(Number)
    .pipe(z.number().min(min).max(max))
    .optional()
    .transform((value) => value ?? fallback);

/**
 * GET /api/series query: every filter the console's search uses, validated; an unknown parameter or
 * a bad value is a 400 naming it. `q` finds a study by any of patient ID, accession number, Study or
 * Series Instance UID (exact, or prefix with '*'), or the start of the patient's name or the study's
 * description.
 */
export const seriesQuerySchema = z.strictObject({
  state: z.enum(seriesStates).optional(),
  q: searchText.optional(),
  patientId: searchText.optional(),
  patientName: searchText.optional(),
  accessionNumber: searchText.optional(),
  studyInstanceUid: searchText.optional(),
  studyDescription: searchText.optional(),
  studyDateFrom: studyDate.optional(),
  studyDateTo: studyDate.optional(),
  limit: wholeNumber(1, 500, 50),
  offset: wholeNumber(0, 1_000_000, 0),
});

export function seriesQuery(query: Record<string, unknown>): SeriesSearch & Page {
  const repeated = Object.entries(query).find(([, value]) => typeof value !== 'string');
  if (repeated) throw badRequest(`${repeated[0]}: give this parameter once, as a plain value`);
  const parsed = seriesQuerySchema.safeParse(query);
  if (!parsed.success) throw badRequest(describeIssues(parsed.error).join('; '));
  const { studyDateFrom, studyDateTo } = parsed.data;
  if (studyDateFrom && studyDateTo && studyDateFrom > studyDateTo) throw badRequest('studyDateFrom: after studyDateTo');
  return parsed.data;
}
