import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError, InvalidInputError } from '../errors.js';
import { ruleSchema, type Rule } from './rule.js';
import { describeIssues } from '../validation.js';

/**
 * The rules file is `{ "rules": [ ... ] }`; a bare array of rules is accepted too, so that a
 * larger configuration file can hand its `rules` value to parseRules. Error paths always start
 * at `rules`, e.g. "rules[2].match.sliceThickness.min: expected number, received string".
 */
const rulesListSchema = z.array(ruleSchema);
const rulesFileSchema = z.strictObject({ rules: rulesListSchema });

function duplicateIds(rules: readonly Rule[]): string[] {
  const firstIndex = new Map<string, number>();
  const problems: string[] = [];
  rules.forEach((rule, index) => {
    const earlier = firstIndex.get(rule.id);
    if (earlier === undefined) firstIndex.set(rule.id, index);
    else problems.push(`rules[${index}].id: duplicate id '${rule.id}' (also rules[${earlier}])`);
  });
  return problems;
}

/** Validates rules (schema, regular expressions, unique ids); throws ConfigError listing every problem. */
export function parseRules(json: unknown): Rule[] {
  const result = Array.isArray(json) ? rulesListSchema.safeParse(json) : rulesFileSchema.safeParse(json);
  if (!result.success) {
    const rootPath = Array.isArray(json) ? ['rules'] : [];
    const lines = describeIssues(result.error, rootPath);
    throw new ConfigError(`invalid rules:\n${lines.join('\n')}`);
  }
  const rules = Array.isArray(result.data) ? result.data : result.data.rules;
  const problems = duplicateIds(rules);
  if (problems.length > 0) throw new ConfigError(`invalid rules:\n${problems.join('\n')}`);
  return rules;
}

/** Validates one rule sent by a person (API, console); paths start at `rule`. */
export function parseRule(json: unknown): Rule {
  const result = ruleSchema.safeParse(json);
  if (!result.success) {
    const lines = describeIssues(result.error, ['rule']);
    throw new InvalidInputError(`invalid rule:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** Reads and validates a rules file; errors name the file and each key path. */
export async function loadRulesFile(path: string): Promise<Rule[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read rules file ${path}: ${(error as Error).message}`, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`rules file ${path} is not valid JSON: ${(error as Error).message}`, error);
  }
  try {
    return parseRules(json);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${path}: ${error.message}`, error);
    throw error;
  }
}

/** Names a rule may refer to that are configured elsewhere: destinations and step kinds. */
export interface KnownRuleReferences {
  destinations: readonly string[];
  stepKinds: readonly string[];
  /**
   * Problems of one step that would make it fail on every series (its options, the models it
   * names), given by the composition root: steps come after routing. Without it only kinds are checked.
   */
  stepProblems?: (step: Rule['steps'][number], path: (string | number)[]) => string[];
}

/** Checks that every rule names only configured destinations and steps that can run. */
export function assertRuleReferences(rules: readonly Rule[], known: KnownRuleReferences): void {
  const problems = rules.flatMap((rule, index) => [
    ...rule.steps.flatMap((step, stepIndex) =>
      !known.stepKinds.includes(step.kind)
        ? [`rules[${index}].steps[${stepIndex}].kind: unknown step kind '${step.kind}'`]
        : (known.stepProblems?.(step, ['rules', index, 'steps', stepIndex]) ?? []),
    ),
    ...rule.destinations
      .map((name, destIndex) => ({ name, destIndex }))
      .filter(({ name }) => !known.destinations.includes(name))
      .map(({ name, destIndex }) => `rules[${index}].destinations[${destIndex}]: unknown destination '${name}'`),
  ]);
  if (problems.length > 0) throw new ConfigError(`invalid rules:\n${problems.join('\n')}`);
}
