import { parseRules } from '../../../src/route/load-rules.js';
import { OWN_OUTPUT_REASON, routeSeries } from '../../../src/route/match-rules.js';
import type { Rule, RuleInput } from '../../../src/route/rule.js';
import type { SeriesTags } from '../../../src/route/series-tags.js';

const sharpSiemens: SeriesTags = {
  seriesInstanceUid: '1.2.3.4',
  modality: 'CT',
  convolutionKernel: ['B70f'],
  rows: 512,
  columns: 512,
  sliceThickness: 8,
  manufacturer: 'SIEMENS',
  bodyPartExamined: 'CHEST',
  seriesDescription: 'ThoraxRoutine  8.0.0  B70f',
  protocolName: 'AThoraxRoutine',
  studyDescription: 'Thorax^AThoraxRoutine (Adult)',
  callingAeTitle: 'ORTHANC',
  imageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
  derivedByNode: false,
};

function rule(id: string, match: RuleInput['match'], extra: Partial<RuleInput> = {}): RuleInput {
  return { id, name: id, match, steps: [{ kind: 'gaussian-soften' }], destinations: ['pacs'], ...extra };
}

function rules(...inputs: RuleInput[]): Rule[] {
  return parseRules({ rules: inputs });
}

function evaluate(match: RuleInput['match'], tags: Partial<SeriesTags> = {}) {
  const decision = routeSeries(rules(rule('r', match)), { ...sharpSiemens, ...tags });
  return decision.evaluations[0];
}

describe('routeSeries: each condition kind', () => {
  it.each<[string, RuleInput['match'], RuleInput['match']]>([
    ['modality', { modality: ' ct ' }, { modality: 'MR' }],
    ['modality list', { modality: ['PT', 'CT'] }, { modality: ['PT', 'MR'] }],
    ['kernel equals', { convolutionKernel: { equals: 'b70F' } }, { convolutionKernel: { equals: 'B40f' } }],
    ['kernel in', { convolutionKernel: { in: ['B60f', 'B70f'] } }, { convolutionKernel: { in: ['B30f'] } }],
    ['kernel pattern', { convolutionKernel: { pattern: '^b[5-9]0' } }, { convolutionKernel: { pattern: '^B[1-4]0' } }],
    ['kernel family', { convolutionKernel: { family: ['sharp'] } }, { convolutionKernel: { family: ['soft', 'medium'] } }],
    ['rows exact', { rows: 512 }, { rows: 1024 }],
    ['rows range', { rows: { min: 256, max: 512 } }, { rows: { min: 513 } }],
    ['columns exact', { columns: 512 }, { columns: 256 }],
    ['columns range', { columns: { max: 512 } }, { columns: { max: 511 } }],
    ['slice thickness', { sliceThickness: { min: 0.5, max: 10 } }, { sliceThickness: { max: 5 } }],
    ['manufacturer exact', { manufacturer: 'siemens' }, { manufacturer: 'Philips' }],
    ['manufacturer vendor', { manufacturer: ['GE', 'Siemens Healthineers'] }, { manufacturer: ['GE', 'TOSHIBA'] }],
    ['manufacturer pattern', { manufacturer: { pattern: '^siem' } }, { manufacturer: { pattern: 'philips' } }],
    ['body part', { bodyPartExamined: ['chest', 'lung'] }, { bodyPartExamined: 'HEAD' }],
    ['series description', { seriesDescription: { pattern: 'thorax' } }, { seriesDescription: { pattern: '^lung' } }],
    ['protocol name', { protocolName: { pattern: 'thorax' } }, { protocolName: { pattern: '^head' } }],
    ['study description', { studyDescription: { pattern: '^thorax' } }, { studyDescription: { pattern: 'abdomen' } }],
    ['calling AE title', { callingAeTitle: 'orthanc' }, { callingAeTitle: ['SCANNER1'] }],
    ['empty match', {}, { modality: 'MR' }],
  ])('%s', (_name, matching, failing) => {
    expect(evaluate(matching)).toEqual({ ruleId: 'r', matched: true });
    expect(evaluate(failing)).toMatchObject({ ruleId: 'r', matched: false });
  });

  it('says which condition failed and with what value', () => {
    expect(evaluate({ convolutionKernel: { family: ['sharp'] } }, { convolutionKernel: ['B40f'] }).failedCondition).toBe(
      'convolutionKernel family sharp required, got medium (B40f)',
    );
    expect(evaluate({ sliceThickness: { min: 0.5, max: 5 } }).failedCondition).toBe(
      'sliceThickness in [0.5, 5] mm required, got 8',
    );
    expect(evaluate({ modality: ['PT', 'MR'] }).failedCondition).toBe('modality one of [PT, MR] required, got CT');
    expect(evaluate({ rows: 1024 }).failedCondition).toBe('rows 1024 required, got 512');
  });

  it('matches a multi-valued kernel on any value and classifies the kernel name, not the extra value', () => {
    const tags = { convolutionKernel: ['Br64d', '3'], manufacturer: 'Siemens Healthineers' };
    expect(evaluate({ convolutionKernel: { equals: 'Br64d' } }, tags).matched).toBe(true);
    expect(evaluate({ convolutionKernel: { pattern: '^br64d\\\\3$' } }, tags).matched).toBe(true);
    expect(evaluate({ convolutionKernel: { family: ['sharp'] } }, tags).matched).toBe(true);
  });

  it('requires every kernel sub-condition to hold', () => {
    expect(evaluate({ convolutionKernel: { family: ['sharp'], equals: 'B80f' } }).failedCondition).toBe(
      'convolutionKernel B80f required, got B70f',
    );
  });
});

describe('routeSeries: missing tags', () => {
  it.each<[RuleInput['match'], Partial<SeriesTags>, string]>([
    [{ sliceThickness: { min: 1 } }, { sliceThickness: undefined }, 'series has no SliceThickness'],
    [{ convolutionKernel: { family: ['sharp'] } }, { convolutionKernel: undefined }, 'series has no ConvolutionKernel'],
    [{ rows: 512 }, { rows: undefined }, 'series has no Rows'],
    [{ bodyPartExamined: 'CHEST' }, { bodyPartExamined: undefined }, 'series has no BodyPartExamined'],
    [{ manufacturer: 'SIEMENS' }, { manufacturer: undefined }, 'series has no Manufacturer'],
    [{ callingAeTitle: 'X' }, { callingAeTitle: undefined }, 'series has no calling AE title'],
  ])('%j on a series without the tag does not match', (match, tags, message) => {
    expect(evaluate(match, tags)).toEqual({ ruleId: 'r', matched: false, failedCondition: message });
  });
});

describe('routeSeries: order, priority, exclusive', () => {
  it('evaluates by priority (lower first), equal priorities in file order, and every match makes a job', () => {
    const decision = routeSeries(
      rules(rule('late', {}, { priority: 300 }), rule('first', {}, { priority: 10 }), rule('second', {}), rule('third', {})),
      sharpSiemens,
    );
    expect(decision.matched.map((m) => m.rule.id)).toEqual(['first', 'second', 'third', 'late']);
    expect(decision.evaluations.map((e) => e.ruleId)).toEqual(['first', 'second', 'third', 'late']);
    expect(decision.skippedReason).toBeUndefined();
  });

  it('stops at the first matching exclusive rule, keeping matches made before it', () => {
    const decision = routeSeries(
      rules(
        rule('before', {}, { priority: 1 }),
        rule('exclusive-miss', { modality: 'MR' }, { priority: 2, exclusive: true }),
        rule('exclusive-hit', {}, { priority: 3, exclusive: true }),
        rule('after', {}, { priority: 4 }),
      ),
      sharpSiemens,
    );
    expect(decision.matched.map((m) => m.rule.id)).toEqual(['before', 'exclusive-hit']);
    expect(decision.evaluations[3]).toEqual({
      ruleId: 'after',
      matched: false,
      failedCondition: 'not evaluated: exclusive rule exclusive-hit matched first',
    });
  });

  it('skips disabled rules', () => {
    const decision = routeSeries(rules(rule('off', {}, { enabled: false })), sharpSiemens);
    expect(decision.matched).toEqual([]);
    expect(decision.evaluations).toEqual([{ ruleId: 'off', matched: false, failedCondition: 'rule is disabled' }]);
  });
});

describe('routeSeries: loop prevention', () => {
  it("never routes the node's own output, even when a rule would match it", () => {
    const decision = routeSeries(rules(rule('catch-all', {})), { ...sharpSiemens, derivedByNode: true });
    expect(decision).toEqual({ matched: [], skippedReason: OWN_OUTPUT_REASON, evaluations: [] });
  });
});

describe('routeSeries: anyOf alternatives', () => {
  const chest: RuleInput['match'] = {
    modality: 'CT',
    anyOf: [{ bodyPartExamined: ['CHEST', 'THORAX'] }, { seriesDescription: { pattern: 'thora|lung' } }],
  };

  it('holds when any one alternative holds, and the other conditions too', () => {
    expect(evaluate(chest).matched).toBe(true);
    expect(evaluate(chest, { bodyPartExamined: undefined }).matched).toBe(true);
    expect(evaluate(chest, { seriesDescription: 'Head' }).matched).toBe(true);
    expect(evaluate(chest, { modality: 'MR' })).toMatchObject({ matched: false, failedCondition: 'modality CT required, got MR' });
  });

  it('says why each alternative fails when none holds', () => {
    expect(evaluate(chest, { bodyPartExamined: 'HEAD', seriesDescription: 'Head 1.0' })).toEqual({
      ruleId: 'r',
      matched: false,
      failedCondition: 'none of the alternatives holds: bodyPartExamined one of [CHEST, THORAX] required, got HEAD; or seriesDescription matching /thora|lung/i required, got Head 1.0',
    });
  });

  it('refuses a single alternative or an empty one when the rules are read', () => {
    expect(() => rules(rule('r', { anyOf: [{ modality: 'CT' }] }))).toThrow(/anyOf/);
    expect(() => rules(rule('r', { anyOf: [{ modality: 'CT' }, {}] }))).toThrow(/an alternative needs at least one condition/);
  });
});
