import { summarizeRouting } from '../../../src/route/routing-summary.js';
import { routeSeries } from '../../../src/route/match-rules.js';
import { ruleSchema } from '../../../src/route/rule.js';

const rule = (id: string, kernel: string) =>
  ruleSchema.parse({ id, name: id, match: { convolutionKernel: { equals: kernel } }, steps: [{ kind: 'gaussian-soften' }], destinations: ['pacs'] });

describe('summarizeRouting', () => {
  it('is null before routing', () => {
    expect(summarizeRouting(null)).toBeNull();
  });

  it('names the matched rules of a stored decision', () => {
    const decision = routeSeries([rule('a', 'B70f'), rule('b', 'B30f')], { seriesInstanceUid: '1.2', convolutionKernel: ['B70f'], derivedByNode: false });
    expect(summarizeRouting(JSON.parse(JSON.stringify(decision)))).toEqual({ matchedRuleIds: ['a'], rulesEvaluated: 2 });
  });

  it('keeps the reason a series was not evaluated', () => {
    const decision = routeSeries([rule('a', 'B70f')], { seriesInstanceUid: '1.2', derivedByNode: true });
    expect(summarizeRouting(decision)).toEqual({ matchedRuleIds: [], rulesEvaluated: 0, skippedReason: decision.skippedReason });
  });
});
