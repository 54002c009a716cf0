import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../src/errors.js';
import { assertRuleReferences, loadRulesFile, parseRules } from '../../../src/route/load-rules.js';

function validRule(id = 'harmonize'): Record<string, unknown> {
  return {
    id,
    name: 'Harmonize',
    match: { modality: 'CT', sliceThickness: { min: 0.5, max: 10 } },
    steps: [{ kind: 'gaussian-soften', options: { sigmaMm: 1 } }],
    destinations: ['pacs'],
  };
}

function errorOf(json: unknown): string {
  try {
    parseRules(json);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('parseRules accepted invalid rules');
}

describe('parseRules', () => {
  it('applies defaults', () => {
    const [rule] = parseRules({ rules: [validRule()] });
    expect(rule).toMatchObject({ enabled: true, priority: 100, exclusive: false });
  });

  it('accepts a bare array of rules', () => {
    expect(parseRules([validRule('a'), validRule('b')]).map((rule) => rule.id)).toEqual(['a', 'b']);
  });

  it('names the key path of a wrong type', () => {
    const rules = [validRule('a'), validRule('b'), validRule('c')];
    rules[2].match = { sliceThickness: { min: 'thin' } };
    expect(errorOf({ rules })).toContain('rules[2].match.sliceThickness.min: expected number');
    expect(errorOf(rules)).toContain('rules[2].match.sliceThickness.min: expected number');
  });

  it.each<[string, (rule: Record<string, unknown>) => void, string]>([
    ['bad slug', (r) => (r.id = 'Harmonize Sharp'), 'rules[0].id: expected a slug'],
    ['no steps', (r) => (r.steps = []), 'rules[0].steps:'],
    ['no destinations', (r) => (r.destinations = []), 'rules[0].destinations:'],
    ['step without kind', (r) => (r.steps = [{ options: {} }]), 'rules[0].steps[0].kind: expected string'],
    ['unknown match key', (r) => (r.match = { convolutionKernal: { family: ['sharp'] } }), 'rules[0].match: Unrecognized key: "convolutionKernal"'],
    ['unknown family', (r) => (r.match = { convolutionKernel: { family: ['crisp'] } }), 'rules[0].match.convolutionKernel.family[0]:'],
    ['empty kernel condition', (r) => (r.match = { convolutionKernel: {} }), 'rules[0].match.convolutionKernel: give at least one of'],
    ['min above max', (r) => (r.match = { sliceThickness: { min: 5, max: 1 } }), 'rules[0].match.sliceThickness: min must not exceed max'],
    ['rows of wrong type', (r) => (r.match = { rows: '512' }), 'rules[0].match.rows: expected number or object'],
    ['rows range of wrong type', (r) => (r.match = { rows: { min: 'x' } }), 'rules[0].match.rows.min: expected number'],
    ['manufacturer of wrong type', (r) => (r.match = { manufacturer: 3 }), 'rules[0].match.manufacturer: expected string or array or object'],
    ['empty modality', (r) => (r.match = { modality: ' ' }), 'rules[0].match.modality:'],
    ['broken pattern', (r) => (r.match = { seriesDescription: { pattern: '(thorax' } }), 'rules[0].match.seriesDescription.pattern: invalid regular expression'],
    ['broken kernel pattern', (r) => (r.match = { convolutionKernel: { pattern: '[B' } }), 'rules[0].match.convolutionKernel.pattern: invalid regular expression'],
    ['broken manufacturer pattern', (r) => (r.match = { manufacturer: { pattern: '*' } }), 'rules[0].match.manufacturer.pattern: invalid regular expression'],
    ['enabled not boolean', (r) => (r.enabled = 'yes'), 'rules[0].enabled: expected boolean'],
  ])('%s', (_name, spoil, expected) => {
    const rule = validRule();
    spoil(rule);
    expect(errorOf({ rules: [rule] })).toContain(expected);
  });

  it('lists every problem, not only the first', () => {
    const first = validRule('a');
    first.priority = 'high';
    const second = validRule('b');
    second.destinations = 'pacs';
    const message = errorOf({ rules: [first, second] });
    expect(message).toContain('rules[0].priority: expected number');
    expect(message).toContain('rules[1].destinations: expected array');
  });

  it('rejects duplicate ids', () => {
    expect(errorOf({ rules: [validRule('a'), validRule('b'), validRule('a')] })).toContain(
      "rules[2].id: duplicate id 'a' (also rules[0])",
    );
  });

  it('rejects a file without a rules list', () => {
    expect(errorOf({ rule: [] })).toContain('(top level): Unrecognized key: "rule"');
    expect(errorOf(null)).toContain('(top level): expected object');
  });
});

describe('loadRulesFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rules-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a valid file', async () => {
    const file = path.join(dir, 'rules.json');
    await writeFile(file, JSON.stringify({ rules: [validRule()] }));
    expect((await loadRulesFile(file)).map((rule) => rule.id)).toEqual(['harmonize']);
  });

  it('names the file when its JSON is broken or a rule is invalid', async () => {
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{ "rules": [ ');
    await expect(loadRulesFile(broken)).rejects.toThrow(new RegExp(`rules file ${broken} is not valid JSON`));
    const invalid = path.join(dir, 'invalid.json');
    await writeFile(invalid, JSON.stringify({ rules: [{ ...validRule(), steps: [] }] }));
    await expect(loadRulesFile(invalid)).rejects.toThrow(`${invalid}: invalid rules:\nrules[0].steps:`);
  });

  it('fails with a ConfigError when the file is missing', async () => {
    await expect(loadRulesFile(path.join(dir, 'absent.json'))).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('assertRuleReferences', () => {
  it('names unknown step kinds and destinations by key path', () => {
    const rules = parseRules({ rules: [validRule()] });
    expect(() => assertRuleReferences(rules, { destinations: ['pacs'], stepKinds: ['gaussian-soften'] })).not.toThrow();
    expect(() => assertRuleReferences(rules, { destinations: ['archive'], stepKinds: [] })).toThrow(
      "invalid rules:\nrules[0].steps[0].kind: unknown step kind 'gaussian-soften'\nrules[0].destinations[0]: unknown destination 'pacs'",
    );
  });
});
