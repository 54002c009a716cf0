import { InvalidInputError } from '../../errors.js';
import { describeIssues } from '../../validation.js';
import type { Step, StepContext, StepKind } from './step.js';
import type { StepSpec } from '../../route/rule.js';
import { gaussianSoftenStep } from './gaussian-soften.js';
import { bicubicUpsampleStep } from './bicubic-upsample.js';
import { modelStep } from './model.js';
import { kernelTransferStep } from './kernel-transfer.js';

export type StepRegistry = ReadonlyMap<string, StepKind<unknown>>;

/** Every step kind a rule can name. A new kind is a new file in this folder, added here. */
export function defaultStepKinds(): StepRegistry {
  const kinds = [gaussianSoftenStep, bicubicUpsampleStep, modelStep, kernelTransferStep] as StepKind<unknown>[];
  return new Map(kinds.map((kind) => [kind.kind, kind]));
}

export type { StepSpec };
export { stepSpecProblems } from './check-step-specs.js';

/** Creates the steps of a rule in order, validating each one's options against its kind. */
export async function createSteps(specs: readonly StepSpec[], registry: StepRegistry, context: StepContext): Promise<Step[]> {
  const steps: Step[] = [];
  for (const [index, spec] of specs.entries()) steps.push(await createStep(spec, ['steps', index], registry, context));
  return steps;
}

async function createStep(spec: StepSpec, at: (string | number)[], registry: StepRegistry, context: StepContext): Promise<Step> {
  const kind = registry.get(spec.kind);
  if (!kind) throw new InvalidInputError(`${at.join('.').replace(/\.(\d+)/g, '[$1]')}: unknown step kind '${spec.kind}'`);
  const parsed = kind.options.safeParse(spec.options ?? {});
  if (!parsed.success) {
    throw new InvalidInputError(describeIssues(parsed.error, [...at, 'options']).join('; '));
  }
  // context.refining is this step's role (set by its parent); a nested step gets its own.
  const nestedContext: StepContext = {
    ...context,
    createStep: (nested, role) => createStep(nested, [...at, 'options', role ? 'refine' : 'fallback'], registry, { ...context, refining: role?.refining }),
  };
  return kind.create(parsed.data, nestedContext);
}
