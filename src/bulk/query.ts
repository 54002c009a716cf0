import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { describeIssues, isReceivedUid } from '../validation.js';
import type { Identifier } from '../dicom/identifier.js';
import { type DateRange, dateRangeText, inDateRange, matchesAnyPattern, matchesPattern } from './dicom-match.js';

/**
 * The filters of `ctprep bulk --query`: space-separated Key=Value pairs, a value with spaces in
 * quotes ('StudyDescription="CT THORAX*"'). Keys are DICOM keywords; values match as DICOM
 * matches them (wild cards '*' and '?', case-sensitive; StudyDate a date or a range; a comma
 * list of alternatives for ConvolutionKernel and StudyInstanceUID). Unknown keys and bad values
 * are an InvalidInputError naming them.
 */

const noBackslash = /^[^\\\x00-\x1f]*$/;
const DATE = /^\d{8}$/;

function isCalendarDate(text: string): boolean {
  const [y, m, d] = [Number(text.slice(0, 4)), Number(text.slice(4, 6)), Number(text.slice(6, 8))];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const dateRange = z
  .string()
  .regex(/^(\d{8})?-?(\d{8})?$/, 'a date YYYYMMDD or a range YYYYMMDD-YYYYMMDD (either end may be left open)')
  .transform((text, context): DateRange => {
    const [from, to] = text.includes('-') ? text.split('-') : [text, text];
    for (const date of new Set([from, to])) {
      if (date && !(DATE.test(date) && isCalendarDate(date))) context.addIssue({ code: 'custom', message: `${date} is not a date` });
    }
    if (!from && !to) context.addIssue({ code: 'custom', message: 'a range needs at least one end' });
    if (from && to && from > to) context.addIssue({ code: 'custom', message: `the range ends (${to}) before it starts (${from})` });
    return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
  });

/** LO / SH text with wild cards: at most `max` characters, no backslash or control characters. */
const text = (max: number) => z.string().min(1).max(max).regex(noBackslash, 'no backslash or control characters');
/** CS: upper-case letters, digits, space and underscore (and wild cards where allowed). */
const code = (wildcards: boolean) =>
  z.string().min(1).max(16).regex(wildcards ? /^[A-Z0-9 _*?]+$/ : /^[A-Z0-9 _]+$/, `a code string: A-Z, 0-9, space, underscore${wildcards ? ", '*' and '?'" : ''}`);
/** A comma list of alternatives (DICOM's backslash is refused: it is the shell's escape too). */
const list = (item: z.ZodType<string, string>) =>
  z
    .string()
    .refine((value) => !value.includes('\\'), 'separate alternatives with commas')
    .transform((value) => value.split(',').map((part) => part.trim()))
    .pipe(z.array(item).min(1));
const uid = z.string().refine(isReceivedUid, 'not a UID');

const KNOWN_KEYS = ['StudyDate', 'StudyDescription', 'PatientID', 'AccessionNumber', 'StudyInstanceUID', 'Modality', 'BodyPartExamined', 'SeriesDescription', 'ConvolutionKernel'];

const querySchema = z
  .strictObject(
    {
      StudyDate: dateRange.optional(),
      StudyDescription: text(64).optional(),
      PatientID: text(64).optional(),
      AccessionNumber: text(16).optional(),
      StudyInstanceUID: list(uid).optional(),
      Modality: code(false).optional(),
      BodyPartExamined: code(true).optional(),
      SeriesDescription: text(64).optional(),
      ConvolutionKernel: list(text(16)).optional(),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.join(', ')} (known: ${KNOWN_KEYS.join(', ')})` : undefined) },
  )
  .refine((query) => Object.keys(query).length > 0, `give at least one filter, e.g. Modality=CT (known keys: ${KNOWN_KEYS.join(', ')})`);

export type BulkQuery = z.infer<typeof querySchema>;

/** Parses the query text; throws InvalidInputError naming each unknown key and bad value. */
export function parseQuery(query: string): BulkQuery {
  const pairs: Record<string, string> = {};
  for (const [key, value] of tokens(query)) {
    if (key in pairs) throw new InvalidInputError(`invalid --query: ${key} is given twice`);
    pairs[key] = value;
  }
  const parsed = querySchema.safeParse(pairs);
  if (!parsed.success) {
    throw new InvalidInputError(`invalid --query: ${describeIssues(parsed.error).map((line) => line.replace(/^\(top level\): /, '')).join('; ')}`);
  }
  return parsed.data;
}

function* tokens(query: string): Generator<[string, string]> {
  const pair = /\s*([A-Za-z]+)=(?:"([^"]*)"|'([^']*)'|([^\s"']*))(?=\s|$)/y;
  let at = 0;
  while (at < query.length && query.slice(at).trim() !== '') {
    pair.lastIndex = at;
    const found = pair.exec(query);
    if (!found) throw new InvalidInputError(`invalid --query: expected Key=Value at "${query.slice(at).trim().slice(0, 40)}"`);
    yield [found[1], found[2] ?? found[3] ?? found[4]];
    at = pair.lastIndex;
  }
}

/** The STUDY-level C-FIND identifier: the study filters as matching keys, the rest asked for. */
export function studyIdentifier(query: BulkQuery): Identifier {
  return {
    StudyInstanceUID: query.StudyInstanceUID?.join('\\') ?? '',
    PatientID: query.PatientID ?? '',
    StudyDate: query.StudyDate ? dateRangeText(query.StudyDate) : '',
    StudyDescription: query.StudyDescription ?? '',
    AccessionNumber: query.AccessionNumber ?? '',
    ...(query.Modality ? { ModalitiesInStudy: query.Modality } : {}),
  };
}

/**
 * The SERIES-level C-FIND identifier of one study. ConvolutionKernel is not a standard series key
 * (it belongs to the CT image): a single pattern is sent as a matching key (Orthanc matches it),
 * a list only asked for; matchesSeries checks what comes back either way.
 */
export function seriesIdentifier(query: BulkQuery, studyInstanceUid: string): Identifier {
  const kernels = query.ConvolutionKernel ?? [];
  return {
    StudyInstanceUID: studyInstanceUid,
    SeriesInstanceUID: '',
    SeriesNumber: '',
    Modality: query.Modality ?? '',
    BodyPartExamined: query.BodyPartExamined ?? '',
    SeriesDescription: query.SeriesDescription ?? '',
    ConvolutionKernel: kernels.length === 1 ? kernels[0] : '',
    NumberOfSeriesRelatedInstances: '',
  };
}

/** A study the PACS answered, checked against the study filters. */
export function matchesStudy(query: BulkQuery, study: Identifier): boolean {
  return (
    (!query.StudyDate || inDateRange(query.StudyDate, study.StudyDate)) &&
    (!query.StudyDescription || matchesPattern(query.StudyDescription, study.StudyDescription)) &&
    (!query.PatientID || matchesPattern(query.PatientID, study.PatientID)) &&
    (!query.AccessionNumber || matchesPattern(query.AccessionNumber, study.AccessionNumber)) &&
    (!query.StudyInstanceUID || matchesAnyPattern(query.StudyInstanceUID, study.StudyInstanceUID))
  );
}

/** A series the PACS answered, checked against the series filters but the kernel (see matchesKernel). */
export function matchesSeries(query: BulkQuery, series: Identifier): boolean {
  return (
    (!query.Modality || matchesPattern(query.Modality, series.Modality)) &&
    (!query.BodyPartExamined || matchesPattern(query.BodyPartExamined, series.BodyPartExamined)) &&
    (!query.SeriesDescription || matchesPattern(query.SeriesDescription, series.SeriesDescription))
  );
}

/** A series' kernel (as the PACS gave it at SERIES or IMAGE level) against the kernel filter. */
export function matchesKernel(query: BulkQuery, kernel: unknown): boolean {
  return !query.ConvolutionKernel || matchesAnyPattern(query.ConvolutionKernel, kernel);
}
