import { firstFailedCondition } from './conditions.js';
import type { Rule } from './rule.js';
import type { SeriesTags } from './series-tags.js';

export interface RuleEvaluation {
  ruleId: string;
  matched: boolean;
  /** Why the rule did not match, e.g. "convolutionKernel family sharp required, got medium (B40f)". */
  failedCondition?: string;
}

export interface RouteDecision {
  /** One entry per job to create, in the order the rules were evaluated. */
  matched: { rule: Rule }[];
  /** Set when the series was not evaluated against any rule at all. */
  skippedReason?: string;
  /** Every rule in evaluation order (priority, then file order), with why it did or did not match. */
  evaluations: RuleEvaluation[];
}

export const OWN_OUTPUT_REASON =
  "series is this node's own output (derived by this node); it is never routed again, to prevent loops";

/** Lower priority first; rules of equal priority keep their order in the rules file. */
function inEvaluationOrder(rules: readonly Rule[]): Rule[] {
  return rules
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => a.rule.priority - b.rule.priority || a.index - b.index)
    .map(({ rule }) => rule);
}

/**
 * Decides which rules a series goes to. Each matching enabled rule yields one job; once an
 * exclusive rule matches, the rules after it are not evaluated. A series the node derived itself
 * matches nothing.
 */
export function routeSeries(rules: readonly Rule[], tags: SeriesTags): RouteDecision {
  if (tags.derivedByNode) return { matched: [], skippedReason: OWN_OUTPUT_REASON, evaluations: [] };
  const matched: { rule: Rule }[] = [];
  const evaluations: RuleEvaluation[] = [];
  let stoppedBy: string | undefined;
  for (const rule of inEvaluationOrder(rules)) {
    const failedCondition = stoppedBy
      ? `not evaluated: exclusive rule ${stoppedBy} matched first`
      : rule.enabled
        ? firstFailedCondition(rule.match, tags)
        : 'rule is disabled';
    if (failedCondition !== undefined) {
      evaluations.push({ ruleId: rule.id, matched: false, failedCondition });
      continue;
    }
    evaluations.push({ ruleId: rule.id, matched: true });
    matched.push({ rule });
    if (rule.exclusive) stoppedBy = rule.id;
  }
  return { matched, evaluations };
}
