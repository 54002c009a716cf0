import { InvalidInputError, UnavailableError, isRetryable } from '../../src/errors.js';

describe('error contract', () => {
  it('says whether retrying can help', () => {
    expect(isRetryable(new InvalidInputError('bad tag'))).toBe(false);
    expect(isRetryable(new UnavailableError('pacs down'))).toBe(true);
    expect(isRetryable(new Error('unknown'))).toBe(true);
  });
});
