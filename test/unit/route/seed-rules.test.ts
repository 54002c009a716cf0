/**
 * The rules a node ships with (config/rules.json) and the calibrations beside them
 * (config/calibrations/): they parse, every rule can match a real series, no rule keeps another
 * from running, chest rules need evidence of a chest, and every step and model they name exists.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readCalibrationFolder } from '../../../src/calibrate/catalog.js';
import { defaultStepKinds } from '../../../src/jobs/steps/index.js';
import { loadRulesFile } from '../../../src/route/load-rules.js';
import { routeSeries } from '../../../src/route/match-rules.js';
import type { Rule, StepSpec } from '../../../src/route/rule.js';
import { seriesTagsFromHeader } from '../../../src/route/series-tags.js';
import { firstHeader } from './real-headers.js';

const RULES_FILE = path.resolve(process.cwd(), 'config/rules.json');
const SERIES = [
  'lung-pet-ct-dx-A0002-siemens-B70f',
  'lung-pet-ct-dx-A0002-siemens-B40f',
  'lung-pet-ct-dx-A0001-philips-L',
  'lung-pet-ct-dx-A0001-philips-B',
  'tcga-thca-DE-A4MA-siemens-B30f',
  'toshiba-phantom-FC51',
  'toshiba-phantom-FC13',
];
const tagsOf = (series: string) => seriesTagsFromHeader(firstHeader(series), 'ORTHANC', false);
const matched = (rules: Rule[], series: string) => routeSeries(rules, tagsOf(series)).matched.map((match) => match.rule.id);

let rules: Rule[];
beforeAll(async () => {
  rules = await loadRulesFile(RULES_FILE);
});

it('parses, with the calibrated harmonization enabled by default and the others to enable', () => {
  expect(rules.map((rule) => [rule.id, rule.enabled])).toEqual([
    ['harmonize-sharp-chest-ct', true],
    ['harmonize-sharp-chest-ct-gaussian', false],
    ['superres-soft-chest-ct', false],
    ['harmonize-then-superres-chest-ct', false],
  ]);
});

it.each([
  ['lung-pet-ct-dx-A0002-siemens-B70f', ['harmonize-sharp-chest-ct']],
  ['lung-pet-ct-dx-A0002-siemens-B40f', []],
  ['lung-pet-ct-dx-A0001-philips-L', ['harmonize-sharp-chest-ct']],
  ['tcga-thca-DE-A4MA-siemens-B30f', []],
  ['toshiba-phantom-FC51', []],
])('as shipped, routes %s to %j', (series, expected) => {
  expect(matched(rules, series)).toEqual(expected);
});

it('harmonizes a sharp series only with evidence of a chest: a head series and an unlabelled one are left alone, and say why', () => {
  const head = { ...firstHeader('lung-pet-ct-dx-A0002-siemens-B70f'), BodyPartExamined: 'HEAD', SeriesDescription: 'Head 1.0 B70f', ProtocolName: 'HeadSeq' };
  const decision = routeSeries(rules, seriesTagsFromHeader(head, 'ORTHANC', false));
  expect(decision.matched).toEqual([]);
  expect(decision.evaluations.find((evaluation) => evaluation.ruleId === 'harmonize-sharp-chest-ct')?.failedCondition).toMatch(
    /^none of the alternatives holds: bodyPartExamined one of \[CHEST, .*\] required, got HEAD; or seriesDescription matching .* required, got Head 1.0 B70f; or protocolName matching .* required, got HeadSeq$/,
  );
  // The Philips export has no BodyPartExamined and a SeriesDescription of "5mm"; its ProtocolName says chest.
  const { ProtocolName: _protocol, ...unlabelled } = firstHeader('lung-pet-ct-dx-A0001-philips-L');
  const philips = routeSeries(rules, seriesTagsFromHeader(unlabelled, 'ORTHANC', false));
  expect(philips.evaluations[0].failedCondition).toMatch(/series has no BodyPartExamined; or seriesDescription matching .* required, got 5mm; or series has no ProtocolName$/);
  const described = { ...unlabelled, SeriesDescription: 'Thorax 5mm L' };
  expect(routeSeries(rules, seriesTagsFromHeader(described, 'ORTHANC', false)).matched.map((match) => match.rule.id)).toEqual(['harmonize-sharp-chest-ct']);
});

describe('with every shipped rule enabled', () => {
  let all: Rule[];
  beforeAll(() => {
    all = rules.map((rule) => ({ ...rule, enabled: true }));
  });

  it('each rule matches at least one real series', () => {
    for (const rule of all) expect([rule.id, SERIES.some((series) => matched([rule], series))]).toEqual([rule.id, true]);
  });

  it('no rule keeps another from running: each series gets every rule that matches it alone', () => {
    for (const series of SERIES) {
      const alone = all.filter((rule) => matched([rule], series).length > 0).map((rule) => rule.id);
      expect([series, matched(all, series)]).toEqual([series, alone]);
    }
    expect(matched(all, 'lung-pet-ct-dx-A0002-siemens-B70f')).toEqual(['harmonize-sharp-chest-ct', 'harmonize-sharp-chest-ct-gaussian', 'harmonize-then-superres-chest-ct']);
    expect(matched(all, 'lung-pet-ct-dx-A0002-siemens-B40f')).toEqual(['superres-soft-chest-ct']);
  });
});

describe('every step a shipped rule names', () => {
  const kinds = defaultStepKinds();
  const stepsOf = (specs: readonly StepSpec[]): StepSpec[] =>
    specs.flatMap((spec) => {
      const { fallback, refine } = (spec.options ?? {}) as { fallback?: StepSpec; refine?: StepSpec | string };
      return [spec, ...stepsOf([fallback, refine].filter((nested): nested is StepSpec => typeof nested === 'object'))];
    });

  it('is a known kind whose options parse, and every model it names is trained and in models/', () => {
    for (const rule of rules) {
      for (const spec of stepsOf(rule.steps)) {
        const kind = kinds.get(spec.kind);
        expect([rule.id, spec.kind, kind !== undefined]).toEqual([rule.id, spec.kind, true]);
        expect(kind!.options.safeParse(spec.options ?? {}).success).toBe(true);
        const model = (spec.options as { model?: string } | undefined)?.model;
        if (model) {
          const manifest = JSON.parse(readFileSync(path.resolve('models', model, 'manifest.json'), 'utf8')) as { status: string };
          expect([model, manifest.status]).toEqual([model, 'trained']);
        }
      }
    }
  });

  it('refines by the v3 installed for the calibration, and falls back to the blind generator where no calibration exists', () => {
    expect(rules[0].steps).toEqual([{ kind: 'kernel-transfer', options: { refine: 'per-calibration', fallback: { kind: 'model', options: { model: 'harmonize-v2-fold1' } } } }]);
  });
});

it('ships the calibrations measured on the shared natural pairs, one of which serves the Siemens B70f series', async () => {
  const calibrations = await readCalibrationFolder(path.resolve('config/calibrations'));
  expect(calibrations.map((c) => `${c.scanner.manufacturer} ${c.scanner.modelName} ${c.sourceKernel}->${c.targetKernel}`).sort()).toEqual([
    'Philips Brilliance16 L->B',
    'SIEMENS Sensation 10 B70f->B40f',
    'TOSHIBA Aquilion PRIME FC51->FC13',
  ]);
  const tags = tagsOf('lung-pet-ct-dx-A0002-siemens-B70f');
  expect(calibrations.filter((c) => c.scanner.modelName === tags.modelName && tags.convolutionKernel?.includes(c.sourceKernel))).toHaveLength(1);
  for (const calibration of calibrations) expect(calibration.fitQuality.transfer!.maeHu).toBeLessThan(calibration.fitQuality.input!.maeHu / 4);
});
