import type { FindSession } from '../dicom/query-retrieve.js';
import type { Identifier } from '../dicom/identifier.js';
import type { Logger } from '../log.js';
import { isReceivedUid } from '../validation.js';
import { valuesOf } from './dicom-match.js';
import { type BulkQuery, matchesKernel, matchesSeries, matchesStudy, seriesIdentifier, studyIdentifier } from './query.js';

/** A series of the PACS that the query selects. */
export interface FoundSeries {
  patientId: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  studyDate?: string;
  studyDescription?: string;
  modality?: string;
  convolutionKernel?: string;
  seriesDescription?: string;
  /** NumberOfSeriesRelatedInstances, where the PACS says it. */
  instanceCount?: number;
}

/**
 * C-FIND at STUDY level, then at SERIES level in each matching study, every answer checked
 * against the query again (a PACS may ignore keys it does not support). Where the kernel is a
 * filter and the PACS answers a series without ConvolutionKernel (it is an image-level
 * attribute), the kernel of one image of that series is asked for (IMAGE level, one match).
 */
export async function findSeries(session: FindSession, query: BulkQuery, log: Logger): Promise<FoundSeries[]> {
  const studies = (await session.find('STUDY', studyIdentifier(query))).filter((study) => matchesStudy(query, study));
  const found = new Map<string, FoundSeries>();
  for (const study of studies) {
    const studyInstanceUid = firstValue(study.StudyInstanceUID);
    if (!studyInstanceUid || !isReceivedUid(studyInstanceUid)) {
      log.warn({ peer: session.peerName, studyInstanceUid }, 'the PACS answered a study without a valid Study Instance UID; left out');
      continue;
    }
    for (const series of await session.find('SERIES', seriesIdentifier(query, studyInstanceUid))) {
      const seriesInstanceUid = firstValue(series.SeriesInstanceUID);
      if (!seriesInstanceUid || !isReceivedUid(seriesInstanceUid)) {
        log.warn({ peer: session.peerName, studyInstanceUid, seriesInstanceUid }, 'the PACS answered a series without a valid Series Instance UID; left out');
        continue;
      }
      if (found.has(seriesInstanceUid) || !matchesSeries(query, series)) continue;
      const kernel = await kernelOf(session, query, series, studyInstanceUid, seriesInstanceUid);
      if (!matchesKernel(query, kernel)) continue;
      found.set(seriesInstanceUid, {
        patientId: firstValue(study.PatientID) ?? '',
        studyInstanceUid,
        seriesInstanceUid,
        ...optional('studyDate', firstValue(study.StudyDate)),
        ...optional('studyDescription', firstValue(study.StudyDescription)),
        ...optional('modality', firstValue(series.Modality)),
        ...optional('convolutionKernel', valuesOf(kernel).join('\\') || undefined),
        ...optional('seriesDescription', firstValue(series.SeriesDescription)),
        ...optional('instanceCount', instanceCountOf(series.NumberOfSeriesRelatedInstances)),
      });
    }
  }
  return [...found.values()];
}

async function kernelOf(session: FindSession, query: BulkQuery, series: Identifier, studyInstanceUid: string, seriesInstanceUid: string): Promise<unknown> {
  if (!query.ConvolutionKernel || valuesOf(series.ConvolutionKernel).length > 0) return series.ConvolutionKernel;
  const [image] = await session.find('IMAGE', { StudyInstanceUID: studyInstanceUid, SeriesInstanceUID: seriesInstanceUid, SOPInstanceUID: '', ConvolutionKernel: '' }, { limit: 1 });
  return image?.ConvolutionKernel;
}

function firstValue(value: unknown): string | undefined {
  return valuesOf(value)[0];
}

function instanceCountOf(value: unknown): number | undefined {
  const count = Number(firstValue(value));
  return Number.isInteger(count) && count >= 0 ? count : undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [key in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [key in K]: V });
}
