import path from 'node:path';
import { allowedCallers, type NodeConfig } from '../config/schema.js';
import { listenerTls } from '../config/tls-files.js';
import { startDicomListener, type DicomListener } from '../dicom/index.js';
import { backfillStudySearch, openSpool } from '../ingest/index.js';
import { startIngest, type Ingest } from '../ingest/index.js';
import type { Logger } from '../log.js';
import { systemTimers } from '../timers.js';
import { queueNaturalPairs } from '../calibrate/index.js';
import { routeCompleteSeries } from '../route/index.js';
import { recordAudit } from '../store/audit-events.js';
import type { Storage } from './start-storage.js';
import type { StopList } from './stop-list.js';

/** The spool, ingest (which routes each complete series) and the DICOM listener that feeds it. */
export async function startReceiving(config: NodeConfig, storage: Storage, clock: () => Date, log: Logger, stops: StopList): Promise<{ ingest: Ingest; listener: DicomListener }> {
  const { db, boss, metrics } = storage;
  const spool = await openSpool(path.join(config.dataDir, 'spool'));
  const backfilled = await backfillStudySearch(db, log);
  if (backfilled > 0) log.info({ series: backfilled }, 'study search fields filled from the spool');
  const ingest = await startIngest({
    db,
    spool,
    log,
    clock,
    timers: systemTimers,
    quietMs: config.completion.quietSeconds * 1000,
    unconfirmedQuietMs: config.completion.unconfirmedQuietSeconds * 1000,
    minSlices: config.completion.minSlices,
    checkIntervalMs: config.completion.checkIntervalMs,
    onSeriesComplete: async (uid) => {
      await routeCompleteSeries(uid, { db, boss, ...config.derive, clock, log });
      metrics.seriesCompleted.inc();
      await queueNaturalPairs(db, boss, uid).catch((error: unknown) => log.error({ err: error, series: uid }, 'looking for a natural pair to calibrate on failed'));
    },
  });
  stops.add(() => ingest.stop());
  const listener = await startDicomListener(
    {
      aeTitle: config.dicom.aeTitle,
      host: config.dicom.host,
      port: config.dicom.port,
      maxPduLength: config.dicom.maxPduLength,
      ...config.dicom.limits,
      incomingDir: spool.incomingDir,
      callers: allowedCallers(config),
      tls: await listenerTls(config),
      logger: log,
    },
    {
      onInstance: async (received) => {
        const answer = await ingest.acceptInstance(received);
        metrics.instancesReceived.inc({ calling_ae: received.callingAeTitle });
        metrics.bytesReceived.inc({ calling_ae: received.callingAeTitle }, received.sizeBytes);
        return answer;
      },
      onAssociationEnd: (ended) => {
        metrics.associations.inc({ outcome: ended.reason });
        return ingest.associationEnded(ended.associationId, ended.reason === 'released' && ended.refusedInstances === 0 ? 'released' : 'interrupted');
      },
      onAssociationRejected: ({ callingAeTitle, calledAeTitle, remoteAddress, reason, detail }) => {
        metrics.associations.inc({ outcome: 'rejected' });
        return recordAudit(db, { at: clock(), actor: `dicom ${callingAeTitle}@${remoteAddress ?? 'unknown'}`, action: 'association.rejected', subject: callingAeTitle, detail: { reason, detail, calledAeTitle } });
      },
    },
  );
  stops.add(() => listener.close());
  log.info({ aeTitle: config.dicom.aeTitle, host: config.dicom.host, port: listener.port, tlsPort: listener.tlsPort }, 'DICOM listener ready');
  return { ingest, listener };
}
