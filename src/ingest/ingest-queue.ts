import { access, stat } from 'node:fs/promises';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import type { CancelTimer, Timers } from '../timers.js';
import { InvalidInputError } from '../errors.js';
import { readIndexHeader, type IndexHeader } from '../dicom/file/index-header.js';
import { indexInstances } from '../store/instances.js';
import type { AssociationEnding, SeriesCompletion } from './series-completion.js';
import { sameDataset } from '../dicom/file/same-dataset.js';
import { recordAudit } from '../store/audit-events.js';
import { indexedInstances, recordInstanceConflict } from '../store/instance-conflicts.js';
import type { Spool } from './spool.js';

export type IngestItem =
  | {
      kind: 'instance';
      /** A complete, fsync'ed Part 10 file in the spool's incoming folder. */
      path: string;
      callingAeTitle?: string;
      /** The caller's policy for an instance it sends again with other content; default keep-first. */
      overwrite?: 'keep-first' | 'replace';
      associationId: string;
      receivedAt: Date;
    }
  | {
      kind: 'association-end';
      associationId: string;
      /** released: A-RELEASE with every C-STORE stored; interrupted: abort, lost connection or a refused store; unknown: before a restart. */
      ending: AssociationEnding;
      endedAt: Date;
    };

export interface IngestQueueDeps {
  db: Database;
  spool: Spool;
  completion: SeriesCompletion;
  log: Logger;
  /** Times the quiet before indexing and the wait before a failed batch is tried again. */
  timers: Timers;
  maxBatch?: number;
  retryDelayMs?: number;
  /** Quiet time on the link before indexing starts (default 100 ms). */
  idleMs?: number;
  /** Instances waiting that start indexing at once, link busy or not (default 1024). */
  backlogLimit?: number;
}

interface Prepared {
  item: Extract<IngestItem, { kind: 'instance' }>;
  header: IndexHeader;
  place: string;
  sizeBytes: number;
  /** It replaces an indexed copy with other content (the caller's policy is replace). */
  replaces?: boolean;
}

/**
 * Indexes acknowledged instances off the C-STORE critical path, in arrival order and in batches
 * (one database commit and one fsync per folder for many instances). A file whose header cannot be
 * read goes to the spool's rejected/ folder with its reason. When the database fails, the batch
 * waits and is tried again: its files stay in incoming/ until they are indexed.
 */
export class IngestQueue {
  private readonly items: IngestItem[] = [];
  private running: Promise<void> | undefined;
  private cancelIdle: CancelTimer | undefined;
  private stopped = false;

  constructor(private readonly deps: IngestQueueDeps) {}

  /**
   * Indexing waits while instances stream in: on 2 cores, parsing and indexing beside the receive
   * path halved the rate a PACS could send at. It starts once the link has been quiet for idleMs,
   * when an association ends, or at once when backlogLimit instances wait. A series cannot
   * complete before everything received is indexed, and its quiet time is far longer than idleMs.
   */
  push(item: IngestItem): void {
    this.items.push(item);
    if (item.kind === 'association-end' || this.items.length >= (this.deps.backlogLimit ?? 1024)) this.start();
    else this.startWhenIdle();
  }

  private startWhenIdle(): void {
    this.cancelIdle?.();
    this.cancelIdle = this.deps.timers.after(this.deps.idleMs ?? 100, () => this.start());
  }

  /** Starts indexing unless it runs already; returns the run. */
  private start(): Promise<void> | undefined {
    this.cancelIdle?.();
    if (this.stopped) return undefined;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** A batch is being indexed now. */
  get indexing(): boolean {
    return this.running !== undefined;
  }

  /** Nothing waiting and nothing being indexed: every acknowledged instance is in the index. */
  get idle(): boolean {
    return this.items.length === 0 && this.running === undefined;
  }

  /** Indexes whatever waits now, and resolves when nothing is left. */
  async drained(): Promise<void> {
    if (this.items.length > 0) this.start();
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelIdle?.();
    await this.running;
  }

  private async drain(): Promise<void> {
    while (this.items.length > 0 && !this.stopped) {
      const batch = this.items.splice(0, this.deps.maxBatch ?? 64);
      try {
        await this.process(batch);
      } catch (error) {
        this.items.unshift(...batch);
        this.deps.log.error({ err: error, instances: batch.length }, 'indexing received instances failed; will try again');
        await new Promise((resolve) => this.deps.timers.after(this.deps.retryDelayMs ?? 2000, () => resolve(undefined)));
      }
    }
  }

  private async process(batch: IngestItem[]): Promise<void> {
    const prepared: Prepared[] = [];
    for (const item of batch) {
      if (item.kind !== 'instance') continue;
      const ready = await this.prepare(item);
      if (ready) prepared.push(ready);
    }
    const toIndex = await this.settleResends(prepared);
    if (toIndex.length > 0) {
      await indexInstances(
        this.deps.db,
        toIndex.map(({ item, header, place, sizeBytes, replaces }) => ({
          header,
          path: place,
          sizeBytes,
          transferSyntaxUid: header.transferSyntaxUid,
          callingAeTitle: item.callingAeTitle ?? header.sourceAeTitle ?? '',
          receivedAt: item.receivedAt,
          replaces: replaces ?? false,
        })),
      );
      // Indexed first, moved second: a crash in between leaves the file in incoming/, indexed again.
      await this.deps.spool.moveIn(toIndex.map(({ item, place }) => ({ from: item.path, to: place })));
    }
    for (const { item, header } of prepared) this.deps.completion.noteInstance(item.associationId, header.seriesInstanceUid);
    for (const item of batch) {
      if (item.kind === 'association-end') await this.deps.completion.associationEnded(item.associationId, item.ending, item.endedAt);
    }
  }

  /**
   * An instance received again: the same dataset adds nothing and is dropped; other content is a
   * conflict, settled by the caller's policy: keep the first copy (the later one goes to
   * conflicts/ and is recorded) or replace it (recorded too; its series is processed again).
   * Returns what is left to index, in order.
   */
  private async settleResends(prepared: Prepared[]): Promise<Prepared[]> {
    const indexed = await indexedInstances(this.deps.db, prepared.map((p) => p.header.sopInstanceUid));
    const kept = new Map<string, Prepared>();
    for (const candidate of prepared) {
      const uid = candidate.header.sopInstanceUid;
      const earlierInBatch = kept.get(uid);
      const earlierPath = earlierInBatch?.item.path ?? indexed.get(uid)?.path;
      if (earlierPath === undefined) {
        kept.set(uid, candidate);
        continue;
      }
      if (!earlierInBatch && !(await access(earlierPath).then(() => true, () => false))) {
        // Its file was removed by retention after delivery: the resent copy takes its place and
        // the series is processed again, as the user who sent it again expects.
        kept.set(uid, { ...candidate, replaces: true });
        continue;
      }
      if (await sameDataset(earlierPath, candidate.item.path).catch(() => false)) {
        await this.deps.spool.discard(candidate.item.path);
        continue;
      }
      const conflict = {
        sopInstanceUid: uid,
        seriesInstanceUid: candidate.header.seriesInstanceUid,
        callingAeTitle: candidate.item.callingAeTitle ?? '',
        receivedAt: candidate.item.receivedAt,
      };
      if (candidate.item.overwrite === 'replace') {
        if (earlierInBatch) await this.deps.spool.discard(earlierInBatch.item.path);
        kept.set(uid, { ...candidate, replaces: earlierInBatch?.replaces ?? !earlierInBatch });
        await this.recordConflict({ ...conflict, conflictFile: candidate.place.split('/').pop() ?? uid, outcome: 'replaced' });
      } else {
        const name = await this.deps.spool.setAsideConflict(candidate.item.path, uid);
        await this.recordConflict({ ...conflict, conflictFile: name, outcome: 'kept-first' });
      }
    }
    return [...kept.values()];
  }

  private async recordConflict(conflict: Parameters<typeof recordInstanceConflict>[1]): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      await recordInstanceConflict(tx, conflict);
      await recordAudit(tx, {
        at: conflict.receivedAt,
        actor: `dicom ${conflict.callingAeTitle}`,
        action: 'instance.conflict',
        subject: conflict.sopInstanceUid,
        detail: { outcome: conflict.outcome, seriesInstanceUid: conflict.seriesInstanceUid, file: conflict.conflictFile },
      });
    });
    this.deps.log.warn(
      { sopInstanceUid: conflict.sopInstanceUid, callingAeTitle: conflict.callingAeTitle, outcome: conflict.outcome },
      conflict.outcome === 'kept-first' ? 'instance sent again with other content: first copy kept' : 'instance sent again with other content: replaced',
    );
  }

  private async prepare(item: Extract<IngestItem, { kind: 'instance' }>): Promise<Prepared | undefined> {
    try {
      const header = await readIndexHeader(item.path);
      const place = this.deps.spool.placeFor(header);
      const { size } = await stat(item.path);
      return { item, header, place, sizeBytes: size };
    } catch (error) {
      const reason = error instanceof InvalidInputError ? error.message : `unreadable: ${(error as Error).message}`;
      const rejected = await this.deps.spool.reject(item.path, reason);
      this.deps.log.warn({ file: rejected, callingAeTitle: item.callingAeTitle, reason }, 'received instance rejected');
      return undefined;
    }
  }
}
