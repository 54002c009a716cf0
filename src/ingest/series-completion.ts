import type { Queryable } from '../db/database.js';

export interface CompletionOptions {
  /** A series is complete when no instance arrived for this long and its associations ended. */
  quietMs: number;
  /** An association still open after this long no longer holds its series back. */
  openAssociationLimitMs: number;
  clock: () => Date;
}

/**
 * Decides which series are complete. The quiet timer's state lives in the database
 * (series.last_received_at), so series received before a restart complete after it; only the
 * set of open associations is in memory, because associations do not survive a restart anyway.
 */
export class SeriesCompletion {
  private readonly openAssociations = new Map<string, Set<string>>();

  constructor(
    private readonly db: Queryable,
    private readonly options: CompletionOptions,
  ) {}

  noteInstance(associationId: string, seriesInstanceUid: string): void {
    let series = this.openAssociations.get(associationId);
    if (!series) {
      series = new Set();
      this.openAssociations.set(associationId, series);
    }
    series.add(seriesInstanceUid);
  }

  associationEnded(associationId: string): void {
    this.openAssociations.delete(associationId);
  }

  async findCompleteSeries(): Promise<string[]> {
    const now = this.options.clock().getTime();
    const { rows } = await this.db.query<{ series_instance_uid: string; last_received_at: Date }>(
      `SELECT series_instance_uid, last_received_at FROM series
        WHERE state = 'receiving' AND last_received_at <= $1
        ORDER BY last_received_at`,
      [new Date(now - this.options.quietMs)],
    );
    const held = new Set<string>();
    for (const series of this.openAssociations.values()) for (const uid of series) held.add(uid);
    return rows
      .filter(
        (row) =>
          !held.has(row.series_instance_uid) ||
          now - new Date(row.last_received_at).getTime() >= this.options.openAssociationLimitMs,
      )
      .map((row) => row.series_instance_uid);
  }
}
