import type { StepSpec } from '../../route/rule.js';
import { describeIssues } from '../../validation.js';
import type { StepRegistry } from './index.js';

/** What a saved rule's model steps may name: the registry's models and their status. */
export type KnownModels = ReadonlyMap<string, { readonly status: string }>;

/**
 * Every problem that would make a step of a rule fail on every series, found when the rule is
 * saved rather than when the next series arrives: an unknown kind, options its kind's schema
 * refuses, a model that is not in the registry, or an untrained one without its flag, and the
 * same for a kernel transfer's fallback. `path` names the step as the API reports it (rules[0].steps[1]).
 */
export function stepSpecProblems(spec: StepSpec, path: (string | number)[], registry: StepRegistry, models?: KnownModels): string[] {
  const where = (...more: (string | number)[]) => [...path, ...more].join('.').replace(/\.(\d+)/g, '[$1]');
  const kind = registry.get(spec.kind);
  if (!kind) return [`${where('kind')}: unknown step kind '${spec.kind}'`];
  const parsed = kind.options.safeParse(spec.options ?? {});
  if (!parsed.success) return describeIssues(parsed.error, [...path, 'options']);
  const options = parsed.data as { model?: string; allowUntrained?: boolean; fallback?: StepSpec };
  const problems: string[] = [];
  if (spec.kind === 'model' && models && options.model) {
    const model = models.get(options.model);
    if (!model) problems.push(`${where('options', 'model')}: no model '${options.model}' in the registry (known: ${[...models.keys()].sort().join(', ') || 'none'})`);
    else if (model.status !== 'trained' && !options.allowUntrained) {
      problems.push(`${where('options', 'model')}: model '${options.model}' is ${model.status}: set allowUntrained to use it`);
    }
  }
  if (options.fallback) problems.push(...stepSpecProblems(options.fallback, [...path, 'options', 'fallback'], registry, models));
  return problems;
}
