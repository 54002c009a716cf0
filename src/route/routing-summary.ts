/** The routing decision of a series in a few fields, for lists. */
export interface RoutingSummary {
  matchedRuleIds: string[];
  skippedReason?: string;
  rulesEvaluated: number;
}

interface StoredDecision {
  matched?: { rule?: { id?: unknown } }[];
  skippedReason?: unknown;
  evaluations?: unknown[];
}

/** Summarises series.routing (a RouteDecision stored as JSON); null until the series is routed. */
export function summarizeRouting(routing: unknown): RoutingSummary | null {
  if (routing === null || routing === undefined || typeof routing !== 'object') return null;
  const decision = routing as StoredDecision;
  const matchedRuleIds = (decision.matched ?? [])
    .map((entry) => entry.rule?.id)
    .filter((id): id is string => typeof id === 'string');
  const summary: RoutingSummary = { matchedRuleIds, rulesEvaluated: decision.evaluations?.length ?? 0 };
  if (typeof decision.skippedReason === 'string') summary.skippedReason = decision.skippedReason;
  return summary;
}
