import { z } from 'zod';
import type { Queryable } from '../db/database.js';
import { InvalidInputError } from '../errors.js';
import { describeIssues } from '../validation.js';
import { ruleSchema, type Rule } from '../route/rule.js';
import { routeSeries, type RuleEvaluation } from '../route/match-rules.js';
import { seriesTagsFromHeader, type SeriesTags } from '../route/series-tags.js';
import { isOwnOutput, type OwnOutputMarks } from '../route/own-output.js';
import { tagsReadAgain } from '../route/tags-read-again.js';
import { listRules } from '../store/rules.js';
import { getSeriesHeader } from '../store/series-queries.js';
import { notFound } from './http-error.js';
import { seriesUidParam } from './request-values.js';

/**
 * Body of POST /api/rules/test: either an indexed series or a header-like object of tag keywords
 * (as dcmjs names them: Modality, ConvolutionKernel, Rows, ...). An optional draft rule replaces
 * the stored rule of the same id (or joins the rules), so a rule can be tried before it is saved.
 */
const dryRunSchema = z
  .strictObject({
    seriesInstanceUid: z.string().optional(),
    tags: z.record(z.string(), z.unknown()).optional(),
    callingAeTitle: z.string().max(16).optional(),
    rule: z.unknown().optional(),
  })
  .refine((body) => (body.seriesInstanceUid === undefined) !== (body.tags === undefined), {
    message: 'give either seriesInstanceUid (an indexed series) or tags (a header-like object), not both',
  });

export interface DryRunResult {
  /** What the matcher saw. */
  seriesTags: SeriesTags;
  matchedRuleIds: string[];
  skippedReason?: string;
  evaluations: RuleEvaluation[];
  /** The jobs routing would create, one per matched rule; none is created by a dry run. */
  wouldCreate: { ruleId: string; steps: Rule['steps']; destinations: string[] }[];
}

export type OwnOutput = OwnOutputMarks;

function parseDraftRule(input: unknown): Rule | undefined {
  if (input === undefined) return undefined;
  const parsed = ruleSchema.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(`invalid rule:\n${describeIssues(parsed.error, ['rule']).join('\n')}`);
  return parsed.data;
}

function withDraft(rules: Rule[], draft: Rule | undefined): Rule[] {
  if (!draft) return rules;
  return rules.some((rule) => rule.id === draft.id) ? rules.map((rule) => (rule.id === draft.id ? draft : rule)) : [...rules, draft];
}

/** Placeholder for free-form tags without a SeriesInstanceUID: the matcher needs one, no rule reads it. */
const DRY_RUN_SERIES_UID = '0';

async function resolveHeader(db: Queryable, body: z.output<typeof dryRunSchema>) {
  if (body.seriesInstanceUid !== undefined) {
    const uid = seriesUidParam(body.seriesInstanceUid);
    const indexed = await getSeriesHeader(db, uid);
    if (!indexed) throw notFound(`no series ${uid} in the index`);
    return { header: await tagsReadAgain(db, uid, indexed.tags), callingAeTitle: body.callingAeTitle ?? indexed.callingAeTitle, inDerivedTable: indexed.derived };
  }
  return { header: { SeriesInstanceUID: DRY_RUN_SERIES_UID, ...body.tags }, callingAeTitle: body.callingAeTitle, inDerivedTable: false };
}

/** Evaluates the rules on a series as routing would, and creates nothing. */
export async function dryRunRules(db: Queryable, input: unknown, ownOutput: OwnOutput | undefined): Promise<DryRunResult> {
  const parsed = dryRunSchema.safeParse(input ?? {});
  if (!parsed.success) throw new InvalidInputError(`invalid dry run request:\n${describeIssues(parsed.error, ['body']).join('\n')}`);
  const draft = parseDraftRule(parsed.data.rule);
  const { header, callingAeTitle, inDerivedTable } = await resolveHeader(db, parsed.data);
  const own = ownOutput ? isOwnOutput(header, ownOutput, inDerivedTable) : inDerivedTable;
  const seriesTags = seriesTagsFromHeader(header, callingAeTitle, own);
  const decision = routeSeries(withDraft(await listRules(db), draft), seriesTags);
  const result: DryRunResult = {
    seriesTags,
    matchedRuleIds: decision.matched.map(({ rule }) => rule.id),
    evaluations: decision.evaluations,
    wouldCreate: decision.matched.map(({ rule }) => ({ ruleId: rule.id, steps: rule.steps, destinations: rule.destinations })),
  };
  if (decision.skippedReason !== undefined) result.skippedReason = decision.skippedReason;
  return result;
}
