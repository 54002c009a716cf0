import type { StepSpec } from '../../route/rule.js';
import { describeIssues } from '../../validation.js';
import type { StepRegistry } from './index.js';
import type { KnownReferences, StepKind } from './step.js';

/**
 * Every problem that would make a step of a rule fail on every series, found when the rule is
 * saved rather than when the next series arrives: an unknown kind, options its kind's schema
 * refuses, and what the kind's own check finds (steps/*.ts), for the steps it holds too. `path`
 * names the step as the API reports it (rules[0].steps[1]).
 */
export function stepSpecProblems(spec: StepSpec, path: (string | number)[], registry: StepRegistry, known: KnownReferences = {}): string[] {
  const where = (more: (string | number)[]) => [...path, ...more].join('.').replace(/\.(\d+)/g, '[$1]');
  const kind = registry.get(spec.kind) as StepKind<unknown> | undefined;
  if (!kind) return [`${where(['kind'])}: unknown step kind '${spec.kind}'`];
  const parsed = kind.options.safeParse(spec.options ?? {});
  if (!parsed.success) return describeIssues(parsed.error, [...path, 'options']);
  const found = kind.check?.(parsed.data, known) ?? {};
  return [
    ...(found.problems ?? []).map((problem) => `${where(['options', ...problem.path])}: ${problem.message}`),
    ...(found.nested ?? []).flatMap((inner) => stepSpecProblems(inner.spec, [...path, 'options', ...inner.path], registry, { ...known, refining: inner.refining })),
  ];
}
