export interface SpacingTolerances {
  /** Slices closer than this along the normal are duplicates, in mm. */
  readonly duplicateMm: number;
  /** Largest deviation of a gap from the median gap, as a fraction of the median gap. */
  readonly spacingFraction: number;
}

export interface SpacingProblem {
  readonly kind: 'duplicate' | 'irregular';
  /** The gap between slice `index` and slice `index + 1` of the sorted positions. */
  readonly index: number;
  readonly gap: number;
  readonly median: number;
}

/**
 * The first fault in slice positions along the normal (sorted ascending): two slices at one
 * position, or a gap unlike the median gap (a missing or an extra slice). Used when a series is
 * loaded and, earlier, before a received series counts as complete.
 */
export function spacingProblem(along: readonly number[], tolerances: SpacingTolerances): SpacingProblem | undefined {
  const gaps = along.slice(1).map((value, i) => value - along[i]);
  const duplicate = gaps.findIndex((gap) => gap < tolerances.duplicateMm);
  const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)] ?? 0;
  if (duplicate >= 0) return { kind: 'duplicate', index: duplicate, gap: gaps[duplicate], median };
  if (gaps.length < 2) return undefined;
  const irregular = gaps.findIndex((gap) => Math.abs(gap - median) > tolerances.spacingFraction * median);
  return irregular >= 0 ? { kind: 'irregular', index: irregular, gap: gaps[irregular], median } : undefined;
}
