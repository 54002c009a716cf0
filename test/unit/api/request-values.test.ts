import { integerQuery, pageQuery, ruleIdParam, seriesUidParam, stateQuery, uuidParam } from '../../../src/api/request-values.js';
import { HttpError } from '../../../src/api/http-error.js';
import { jobStates } from '../../../src/store/states.js';

function messageOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(400);
    return (error as Error).message;
  }
  throw new Error('expected a 400 error');
}

describe('route parameters', () => {
  it('accepts UUIDs in either case and returns them lower-case', () => {
    expect(uuidParam('0F8FAD5B-D9CB-469F-A165-70867728950E', 'id')).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(messageOf(() => uuidParam('0f8fad5b', 'id'))).toMatch(/^id: expected a UUID/);
  });

  it('accepts DICOM UIDs only', () => {
    expect(seriesUidParam('1.3.6.1.4.1.14519.5.2.1.0')).toBe('1.3.6.1.4.1.14519.5.2.1.0');
    for (const bad of ['', '1..2', '1.2.', '1.02', '1.2.a', `1.${'2'.repeat(64)}`, "1.2'--"]) {
      expect(messageOf(() => seriesUidParam(bad, 'uid'))).toMatch(/^uid: expected a DICOM UID/);
    }
  });

  it('accepts rule slugs only', () => {
    expect(ruleIdParam('harmonize-sharp-2')).toBe('harmonize-sharp-2');
    expect(messageOf(() => ruleIdParam('Harmonize_Sharp'))).toMatch(/^id: expected a rule id/);
  });
});

describe('query values', () => {
  it('fills defaults and checks ranges', () => {
    expect(pageQuery({})).toEqual({ limit: 50, offset: 0 });
    expect(pageQuery({ limit: '500', offset: '20' })).toEqual({ limit: 500, offset: 20 });
    expect(messageOf(() => pageQuery({ limit: '501' }))).toBe('limit: expected 1 to 500, got 501');
    expect(messageOf(() => integerQuery('-1', 'offset', { min: 0, max: 9, default: 0 }))).toMatch(/^offset: expected a whole number/);
    expect(messageOf(() => integerQuery(['1', '2'], 'limit', { min: 0, max: 9, default: 0 }))).toMatch(/^limit: give this parameter once/);
  });

  it('checks a state filter against the known states', () => {
    expect(stateQuery(undefined, jobStates)).toBeUndefined();
    expect(stateQuery('', jobStates)).toBeUndefined();
    expect(stateQuery('failed', jobStates)).toBe('failed');
    expect(messageOf(() => stateQuery('lost', jobStates))).toMatch(/^state: expected one of queued, running/);
  });
});
