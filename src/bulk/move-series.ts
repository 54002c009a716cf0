import { DimseStatus, statusText } from '../dicom/dimse-status.js';
import { move } from '../dicom/query-retrieve.js';
import type { DicomPeer } from '../dicom/scu-association.js';
import type { FoundSeries } from './find-series.js';

export interface MoveOutcome {
  ok: boolean;
  /** Instances the PACS stored to the node. */
  completed: number;
  /** Why not ok: the PACS's status and comment, with what to check. */
  error?: string;
  /** The PACS will fail every series alike (it does not know the node): stop the run. */
  fatal?: boolean;
}

/**
 * C-MOVE of one series to the node's AE title. A move the PACS refuses, or that failed for some
 * instances, is an outcome with its status; a PACS that cannot be reached or goes silent throws
 * UnavailableError.
 */
export async function moveSeries(request: { pacs: DicomPeer; node: { aeTitle: string; host: string; port: number }; series: FoundSeries; timeoutMs: number }): Promise<MoveOutcome> {
  const { pacs, node, series } = request;
  const result = await move({
    peer: pacs,
    callingAeTitle: node.aeTitle,
    moveDestination: node.aeTitle,
    level: 'SERIES',
    keys: { StudyInstanceUID: series.studyInstanceUid, SeriesInstanceUID: series.seriesInstanceUid },
    timeoutMs: request.timeoutMs,
  });
  const completed = result.subOperations.completed ?? 0;
  if (result.ok) return { ok: true, completed };
  const failed = result.subOperations.failed ?? result.failedSopInstanceUids.length;
  let error = `C-MOVE status ${statusText(result.status)}: ${result.error ?? 'failed'}`;
  if (failed > 0) error += ` (${failed} instances not stored, ${completed} stored)`;
  const unknownDestination = result.status === DimseStatus.MoveDestinationUnknown;
  if (unknownDestination || (completed === 0 && (result.status & 0xf000) !== 0xb000)) {
    const where = node.host === '0.0.0.0' || node.host === '::' ? `port ${node.port} of this machine` : `${node.host}:${node.port}`;
    error += `; does the PACS know AE ${node.aeTitle} as a DICOM node at ${where}, and can it reach it?`;
  }
  return { ok: false, completed, error, ...(unknownDestination ? { fatal: true } : {}) };
}
