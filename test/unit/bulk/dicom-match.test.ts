import { dateRangeText, inDateRange, matchesPattern, valuesOf } from '../../../src/bulk/dicom-match.js';

describe('DICOM matching of C-FIND answers', () => {
  it.each([
    ['B70f', 'B70f', true],
    ['B70f', 'B70F', false],
    ['*THORAX*', 'CT THORAX ROUTINE', true],
    ['*THORAX*', 'CT Thorax', false],
    ['B?0f', 'B30f', true],
    ['B?0f', 'B300f', false],
    ['*', '', false],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['a.c', 'abc', false],
    // Many stars over a long value: a backtracking regular expression would not come back from this one.
    ['*a*a*a*a*a*a*a*a*b', 'a'.repeat(64), false],
  ])('%s against %j: %s', (pattern, value, expected) => {
    expect(matchesPattern(pattern, value)).toBe(expected);
  });

  it('matches any value of a multi-valued attribute', () => {
    expect(matchesPattern('B30f', 'Br40\\B30f')).toBe(true);
    expect(matchesPattern('B30f', ['Br40', 'B30f'])).toBe(true);
    expect(valuesOf(3)).toEqual(['3']);
  });

  it('compares dates with inclusive, possibly open ranges', () => {
    expect(inDateRange({ from: '20200101', to: '20201231' }, '20201231')).toBe(true);
    expect(inDateRange({ from: '20200101' }, '20191231')).toBe(false);
    expect(inDateRange({ to: '20200101' }, '20191231')).toBe(true);
    expect(inDateRange({ from: '20200101' }, undefined)).toBe(false);
    expect(dateRangeText({ from: '20200101' })).toBe('20200101-');
    expect(dateRangeText({ to: '20200101' })).toBe('-20200101');
  });
});
