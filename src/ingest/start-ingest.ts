import type { Database } from '../db/database.js';
import type { ReceivedInstance } from '../dicom/listener-types.js';
import type { Logger } from '../log.js';
import type { CancelTimer, Timers } from '../timers.js';
import { DEFAULT_TOLERANCES } from '../imaging/assemble-geometry.js';
import { markIncomplete } from '../store/series.js';
import { SeriesCompletion, type AssociationEnding } from './series-completion.js';
import { IngestQueue } from './ingest-queue.js';
import type { Spool } from './spool.js';

/** What ingest needs of an instance the listener made durable (a ReceivedInstance of src/dicom has these and more). */
export type AcknowledgedInstance = Pick<ReceivedInstance, 'path' | 'callingAeTitle' | 'overwrite' | 'associationId' | 'receivedAt'>;

export interface IngestDeps {
  db: Database;
  spool: Spool;
  log: Logger;
  clock: () => Date;
  /** Drive the indexing delay and the completion checks (a test's manual clock, or the system's). */
  timers: Timers;
  quietMs: number;
  /** Quiet time of a series whose send did not end normally (see SeriesCompletion). */
  unconfirmedQuietMs: number;
  minSlices: number;
  checkIntervalMs: number;
  /** Called once per complete series; errors are reported and the series is tried again next tick. */
  onSeriesComplete(seriesInstanceUid: string): Promise<void>;
}

export interface Ingest {
  /**
   * Takes an instance the listener has made durable in the spool's incoming folder (so the node
   * may answer Success) and queues it for indexing.
   */
  acceptInstance(received: AcknowledgedInstance): void;
  associationEnded(associationId: string, ending: AssociationEnding): void;
  /** Resolves when every instance accepted so far is indexed. */
  drained(): Promise<void>;
  /** Indexes what waits, then checks once for complete series (as the loop does every checkIntervalMs). */
  checkCompletion(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Ingest: indexes what the listener received (queued, in batches), decides when series are
 * complete, and on start indexes what an earlier run acknowledged but had not indexed yet.
 */
export async function startIngest(deps: IngestDeps): Promise<Ingest> {
  const completion = new SeriesCompletion(deps.db, {
    quietMs: deps.quietMs,
    unconfirmedQuietMs: deps.unconfirmedQuietMs,
    openAssociationLimitMs: Math.max(10 * 60_000, 20 * deps.quietMs),
    minSlices: deps.minSlices,
    spacing: DEFAULT_TOLERANCES,
    clock: deps.clock,
  });

  const queue = new IngestQueue({ db: deps.db, spool: deps.spool, completion, log: deps.log, timers: deps.timers });
  const leftOver = await deps.spool.unindexedFiles();
  if (leftOver.length > 0) deps.log.info({ instances: leftOver.length }, 'indexing instances received before the last stop');
  for (const path of leftOver) queue.push({ kind: 'instance', path, associationId: 'before-restart', receivedAt: deps.clock() });
  // Their associations ended with the last run, and how is not known: their series wait longer.
  queue.push({ kind: 'association-end', associationId: 'before-restart', ending: 'unknown', endedAt: deps.clock() });

  const checkCompletion = async () => {
    // A series is complete only once everything received has been indexed.
    if (!queue.idle) return;
    const verdicts = await completion.findCompleteSeries();
    for (const { seriesInstanceUid, reason } of verdicts.incomplete) {
      await markIncomplete(deps.db, seriesInstanceUid, reason);
      deps.log.warn({ series: seriesInstanceUid, reason }, 'series quiet but not whole: not routed');
    }
    for (const seriesInstanceUid of verdicts.complete) {
      try {
        await deps.onSeriesComplete(seriesInstanceUid);
      } catch (error) {
        deps.log.error({ err: error, series: seriesInstanceUid }, 'routing a complete series failed; will try again');
      }
    }
  };
  // The next check is timed from the end of the last, so checks never overlap.
  let stopped = false;
  let checking: Promise<void> | undefined;
  let cancelCheck: CancelTimer | undefined;
  const scheduleCheck = () => {
    cancelCheck = deps.timers.after(deps.checkIntervalMs, () => {
      checking = checkCompletion()
        .catch((error: unknown) => deps.log.error({ err: error }, 'series completion check failed'))
        .finally(() => {
          checking = undefined;
          if (!stopped) scheduleCheck();
        });
      return checking;
    });
  };
  scheduleCheck();

  return {
    acceptInstance(received) {
      queue.push({ kind: 'instance', ...received });
    },
    associationEnded(associationId, ending) {
      // Through the queue, so the association ends only after its instances are indexed.
      queue.push({ kind: 'association-end', associationId, ending, endedAt: deps.clock() });
    },
    drained: () => queue.drained(),
    async checkCompletion() {
      await queue.drained();
      await checkCompletion();
    },
    async stop() {
      stopped = true;
      cancelCheck?.();
      await checking;
      await queue.stop();
    },
  };
}

