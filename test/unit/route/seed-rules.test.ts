import path from 'node:path';
import { loadRulesFile } from '../../../src/route/load-rules.js';
import { routeSeries } from '../../../src/route/match-rules.js';
import { seriesTagsFromHeader } from '../../../src/route/series-tags.js';
import { firstHeader } from './real-headers.js';

const RULES_FILE = path.resolve(process.cwd(), 'config/rules.json');


describe('config/rules.json', () => {
  it('parses, with only the Gaussian harmonization enabled by default', async () => {
    const rules = await loadRulesFile(RULES_FILE);
    expect(rules.map((rule) => [rule.id, rule.enabled])).toEqual([
      ['harmonize-sharp-chest-ct', true],
      ['harmonize-sharp-chest-ct-generator', false],
      ['superres-soft-chest-ct', false],
      ['harmonize-then-superres-chest-ct', false],
    ]);
  });

  it.each([
    ['lung-pet-ct-dx-A0002-siemens-B70f', ['harmonize-sharp-chest-ct']],
    ['lung-pet-ct-dx-A0001-philips-L', ['harmonize-sharp-chest-ct']],
    ['lung-pet-ct-dx-A0002-siemens-B40f', []],
    ['lung-pet-ct-dx-A0001-philips-B', []],
    ['tcga-thca-DE-A4MA-siemens-B30f', []],
  ])('routes %s to %j', async (series, expected) => {
    const rules = await loadRulesFile(RULES_FILE);
    const decision = routeSeries(rules, seriesTagsFromHeader(firstHeader(series), 'ORTHANC', false));
    expect(decision.matched.map((match) => match.rule.id)).toEqual(expected);
  });

  it('says why the B40f series is not harmonized', async () => {
    const rules = await loadRulesFile(RULES_FILE);
    const tags = seriesTagsFromHeader(firstHeader('lung-pet-ct-dx-A0002-siemens-B40f'), 'ORTHANC', false);
    const evaluations = routeSeries(rules, tags).evaluations;
    expect(evaluations.find((evaluation) => evaluation.ruleId === 'harmonize-sharp-chest-ct')).toEqual({
      ruleId: 'harmonize-sharp-chest-ct',
      matched: false,
      failedCondition: 'convolutionKernel family sharp required, got medium (B40f)',
    });
  });

  it('sends the harmonize rule one gaussian-soften step to pacs', async () => {
    const [harmonize] = await loadRulesFile(RULES_FILE);
    expect(harmonize.steps).toEqual([{ kind: 'gaussian-soften', options: { sigmaMm: 1.0 } }]);
    expect(harmonize.destinations).toEqual(['pacs']);
  });
});
