import type { Queryable } from '../db/database.js';
import { spacingProblem, type SpacingTolerances } from '../imaging/slice-spacing.js';
import { slicePositions } from '../store/instances.js';
import { quietSeries, recordSendEnd, type QuietSeriesRow } from '../store/series.js';

/** How an association that carried instances ended. */
export type AssociationEnding = 'released' | 'interrupted' | 'unknown';

export interface CompletionOptions {
  /** A series is complete when no instance arrived for this long and its sends ended normally. */
  quietMs: number;
  /** A series whose last send did not end normally (abort, lost connection, a refused instance, a node restart) waits this long instead. */
  unconfirmedQuietMs: number;
  /** An association still open after this long no longer holds its series back. */
  openAssociationLimitMs: number;
  /** Fewer single-frame slices than this: incomplete. */
  minSlices: number;
  /** Slice positions must be regular (no gap, no duplicate) within these tolerances. */
  spacing: SpacingTolerances;
  clock: () => Date;
}

export interface CompletionVerdicts {
  complete: string[];
  /** Quiet long enough, but not a whole series: not routed, with the reason. */
  incomplete: { seriesInstanceUid: string; reason: string }[];
}


/**
 * Decides which series are complete. The timers' state lives in the database (the series' last
 * instance, and the last normal and abnormal end of a send that carried it), so series received
 * before a restart complete after it; only the open associations are in memory, because they do
 * not survive a restart anyway. A whole series is also checked for its shape: enough slices, at
 * regular positions, so that a series cut short in the middle is never routed as if complete.
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

  /** Records how the association's send ended on each series it carried. */
  async associationEnded(associationId: string, ending: AssociationEnding, endedAt: Date): Promise<void> {
    const series = [...(this.openAssociations.get(associationId) ?? [])];
    this.openAssociations.delete(associationId);
    if (series.length === 0 || ending === 'unknown') return;
    await recordSendEnd(this.db, series, ending, endedAt);
  }

  async findCompleteSeries(): Promise<CompletionVerdicts> {
    const now = this.options.clock().getTime();
    const rows = await quietSeries(this.db, new Date(now - this.options.quietMs));
    const held = new Set<string>();
    for (const series of this.openAssociations.values()) for (const uid of series) held.add(uid);
    const verdicts: CompletionVerdicts = { complete: [], incomplete: [] };
    for (const row of rows) {
      const quietFor = now - new Date(row.last_received_at).getTime();
      if (held.has(row.series_instance_uid) && quietFor < this.options.openAssociationLimitMs) continue;
      const confirmed = endedNormally(row);
      if (!confirmed && quietFor < this.options.unconfirmedQuietMs) continue;
      const problem = await this.shapeProblem(row.series_instance_uid);
      if (problem) verdicts.incomplete.push({ seriesInstanceUid: row.series_instance_uid, reason: problem });
      else verdicts.complete.push(row.series_instance_uid);
    }
    return verdicts;
  }

  private async shapeProblem(seriesInstanceUid: string): Promise<string | undefined> {
    const positions = await slicePositions(this.db, seriesInstanceUid);
    // Multi-frame objects carry their frames whole; their positions are not in the index.
    if (positions.some((position) => position === null)) return undefined;
    if (positions.length < this.options.minSlices) return `${positions.length} slices, fewer than the ${this.options.minSlices} a series needs (completion.minSlices)`;
    const along = positions as number[];
    const problem = spacingProblem(along, this.options.spacing);
    if (!problem) return undefined;
    const at = `${along[problem.index].toFixed(2)} and ${along[problem.index + 1].toFixed(2)} mm`;
    if (problem.kind === 'duplicate') return `two slices at one position (${at})`;
    const meaning = problem.gap > problem.median ? 'slices are missing' : 'the slices are not evenly spaced (an extra slice, or a sampled series)';
    return `a gap of ${problem.gap.toFixed(2)} mm between slices at ${at}, the usual gap is ${problem.median.toFixed(2)} mm: ${meaning}`;
  }
}

/** The last send that carried the series ended normally, after its last instance. */
function endedNormally(row: QuietSeriesRow): boolean {
  const released = row.released_at ? new Date(row.released_at).getTime() : undefined;
  const interrupted = row.interrupted_at ? new Date(row.interrupted_at).getTime() : undefined;
  return released !== undefined && released >= new Date(row.last_received_at).getTime() && (interrupted === undefined || interrupted <= released);
}
