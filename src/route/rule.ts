import { z } from 'zod';
import { patternProblem } from './pattern.js';
import { KNOWN_KERNEL_FAMILIES } from './kernel-taxonomy.js';

/**
 * A routing rule: conditions on a series' tags, the ordered processing steps to run on it, and
 * where to send the result. Rules are data matched by code (match-rules.ts), never evaluated.
 *
 * Matching semantics (all conditions present must hold; an empty match accepts every series):
 * - string values (modality, bodyPartExamined, callingAeTitle) compare trimmed and
 *   case-insensitively; a list means "any of these";
 * - manufacturer strings also match when both name the same known vendor ('GE' matches
 *   'GE MEDICAL SYSTEMS', 'siemens' matches 'Siemens Healthineers');
 * - every `pattern` is a regular expression in RE2 syntax (pattern.ts: linear-time matching, no
 *   backreferences or lookaround) applied case-insensitively and unanchored (it may match
 *   anywhere: write ^...$ to match the whole value); it is compiled when the rules are parsed, so
 *   a broken pattern is a configuration error, not a failed job;
 * - numeric ranges are inclusive; rows/columns given as a number must be equal;
 * - `anyOf` lists alternatives (each a set of the conditions above): one of them must hold as well.
 */

const PATTERN_MAX_LENGTH = 200;

export const patternSchema = z
  .string()
  .min(1)
  .max(PATTERN_MAX_LENGTH)
  .superRefine((pattern, ctx) => {
    const problem = patternProblem(pattern);
    if (problem) ctx.addIssue({ code: 'custom', message: `invalid regular expression (RE2 syntax: no backreferences, no lookaround): ${problem}` });
  });

const nonEmptyString = z.string().trim().min(1);
const manyStrings = z.array(nonEmptyString).min(1);
const oneOrMany = z.union([nonEmptyString, manyStrings]);

const rangeSchema = z
  .strictObject({ min: z.number().optional(), max: z.number().optional() })
  .refine((range) => range.min !== undefined || range.max !== undefined, {
    message: 'give min, max or both',
  })
  .refine((range) => range.min === undefined || range.max === undefined || range.min <= range.max, {
    message: 'min must not exceed max',
  });

const sizeSchema = z.union([z.number().int().positive(), rangeSchema]);

export const kernelConditionSchema = z
  .strictObject({
    equals: nonEmptyString.optional(),
    in: z.array(nonEmptyString).min(1).optional(),
    pattern: patternSchema.optional(),
    family: z.array(z.enum(KNOWN_KERNEL_FAMILIES)).min(1).optional(),
  })
  .refine((kernel) => Object.values(kernel).some((value) => value !== undefined), {
    message: 'give at least one of equals, in, pattern, family',
  });

const conditionsShape = {
  modality: oneOrMany.optional(),
  convolutionKernel: kernelConditionSchema.optional(),
  rows: sizeSchema.optional(),
  columns: sizeSchema.optional(),
  sliceThickness: rangeSchema.optional(),
  manufacturer: z.union([nonEmptyString, manyStrings, z.strictObject({ pattern: patternSchema })]).optional(),
  bodyPartExamined: oneOrMany.optional(),
  seriesDescription: z.strictObject({ pattern: patternSchema }).optional(),
  protocolName: z.strictObject({ pattern: patternSchema }).optional(),
  studyDescription: z.strictObject({ pattern: patternSchema }).optional(),
  callingAeTitle: oneOrMany.optional(),
};

const alternativeSchema = z.strictObject(conditionsShape).refine((alternative) => Object.values(alternative).some((value) => value !== undefined), {
  message: 'an alternative needs at least one condition',
});

export const matchSchema = z.strictObject({
  ...conditionsShape,
  /** At least one of these alternatives must hold too (e.g. a chest BodyPartExamined, or a chest SeriesDescription). */
  anyOf: z.array(alternativeSchema).min(2).optional(),
});

export const stepSpecSchema = z.strictObject({
  kind: nonEmptyString,
  options: z.record(z.string(), z.unknown()).optional(),
});

export const RULE_ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const ruleSchema = z.strictObject({
  id: z
    .string()
    .max(64)
    .regex(RULE_ID_PATTERN, { message: 'expected a slug: lower-case letters, digits and single hyphens' }),
  name: nonEmptyString,
  enabled: z.boolean().default(true),
  priority: z.number().default(100),
  match: matchSchema,
  steps: z.array(stepSpecSchema).min(1),
  destinations: z.array(nonEmptyString).min(1),
  exclusive: z.boolean().default(false),
});

/** A rule as written in the rules file (defaults not yet applied). */
export type RuleInput = z.input<typeof ruleSchema>;
/** A validated rule with defaults applied. */
export type Rule = z.output<typeof ruleSchema>;
export type RuleMatch = Rule['match'];
export type KernelCondition = NonNullable<RuleMatch['convolutionKernel']>;
export type NumericRange = z.output<typeof rangeSchema>;
export type SizeCondition = z.output<typeof sizeSchema>;
export type StepSpec = Rule['steps'][number];
