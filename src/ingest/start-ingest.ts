import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import { readInstanceHeader } from './read-instance-header.js';
import { indexInstance } from './instance-index.js';
import { SeriesCompletion } from './series-completion.js';
import type { Spool } from './spool.js';

/** What the DICOM listener reports for each stored instance (a complete, fsync'ed Part 10 file). */
export interface ReceivedInstance {
  path: string;
  sizeBytes: number;
  transferSyntaxUid: string;
  callingAeTitle: string;
  associationId: string;
  receivedAt: Date;
}

export interface IngestDeps {
  db: Database;
  spool: Spool;
  log: Logger;
  clock: () => Date;
  quietMs: number;
  checkIntervalMs: number;
  /** Called once per complete series; errors are reported and the series is tried again next tick. */
  onSeriesComplete(seriesInstanceUid: string): Promise<void>;
}

export interface Ingest {
  /** Spools and indexes one instance; resolves only when both are durable (then the node answers Success). */
  acceptInstance(received: ReceivedInstance): Promise<void>;
  associationEnded(associationId: string): void;
  /** Checks once for complete series (the loop calls this; tests call it directly). */
  checkCompletion(): Promise<void>;
  stop(): Promise<void>;
}

export function startIngest(deps: IngestDeps): Ingest {
  const completion = new SeriesCompletion(deps.db, {
    quietMs: deps.quietMs,
    openAssociationLimitMs: Math.max(10 * 60_000, 20 * deps.quietMs),
    clock: deps.clock,
  });

  let checking: Promise<void> | undefined;
  const checkCompletion = async () => {
    for (const seriesInstanceUid of await completion.findCompleteSeries()) {
      try {
        await deps.onSeriesComplete(seriesInstanceUid);
      } catch (error) {
        deps.log.error({ err: error, series: seriesInstanceUid }, 'routing a complete series failed; will try again');
      }
    }
  };
  const timer = setInterval(() => {
    if (checking) return;
    checking = checkCompletion()
      .catch((error: unknown) => deps.log.error({ err: error }, 'series completion check failed'))
      .finally(() => {
        checking = undefined;
      });
  }, deps.checkIntervalMs);

  return {
    async acceptInstance(received) {
      const header = await readInstanceHeader(received.path);
      const path = await deps.spool.accept(received.path, header);
      await indexInstance(deps.db, {
        header,
        path,
        sizeBytes: received.sizeBytes,
        transferSyntaxUid: received.transferSyntaxUid,
        callingAeTitle: received.callingAeTitle,
        receivedAt: received.receivedAt,
      });
      completion.noteInstance(received.associationId, header.seriesInstanceUid);
    },
    associationEnded(associationId) {
      completion.associationEnded(associationId);
    },
    checkCompletion,
    async stop() {
      clearInterval(timer);
      await checking;
    },
  };
}
