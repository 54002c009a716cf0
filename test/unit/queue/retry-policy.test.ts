import { InvalidInputError, UnavailableError } from '../../../src/errors.js';
import { judgeFailure } from '../../../src/queue/retry-policy.js';

describe('the one retry policy of jobs and deliveries (issue 10)', () => {
  const early = { retryCount: 0, retryLimit: 3 };

  it('retries what may pass, until the attempts run out', () => {
    expect(judgeFailure(new UnavailableError('pacs down'), early)).toMatchObject({ retry: true, kind: 'unavailable' });
    expect(judgeFailure(new UnavailableError('pacs down'), { retryCount: 3, retryLimit: 3 })).toMatchObject({ retry: false, kind: 'unavailable' });
    expect(judgeFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), early)).toMatchObject({ retry: true });
    expect(judgeFailure(Object.assign(new Error('terminating connection'), { code: '57P01' }), early)).toMatchObject({ retry: true });
  });

  it('fails bad input at once with its message', () => {
    expect(judgeFailure(new InvalidInputError('bad tag'), early)).toEqual({ retry: false, kind: 'input', message: 'bad tag' });
  });

  it('fails a bug (a TypeError) at once, saying it is one, instead of retrying it as if a PACS were down', () => {
    const verdict = judgeFailure(new TypeError("Cannot read properties of undefined (reading 'rows')"), early);
    expect(verdict).toMatchObject({ retry: false, kind: 'bug' });
    expect(verdict.message).toMatch(/^internal error \(a bug, not retried/);
  });
});
