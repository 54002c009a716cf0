import { toJobSummary, type JobSummaryRow } from '../../../src/store/job-queries.js';

function row(overrides: Partial<JobSummaryRow>): JobSummaryRow {
  return {
    id: 'j', series_instance_uid: '1.2', series_generation: 1, rule_id: 'r', rule_version: 1, state: 'running', steps: [], attempts: 1,
    error: null, error_class: null, derived_series_uid: null, worker: 'host/1/ab', quality: null, progress: null, instance_count: 30,
    created_at: new Date('2026-11-26T10:00:00Z'), started_at: new Date('2026-11-26T10:00:00Z'), finished_at: null, updated_at: new Date('2026-11-26T10:00:10Z'),
    ...overrides,
  };
}

describe('job progress', () => {
  it('estimates the time left from the pace so far while a job runs', () => {
    const summary = toJobSummary(row({ progress: { done: 10, total: 30, at: '2026-11-26T10:00:10Z' } }));
    expect(summary.progress).toEqual({ done: 10, total: 30, etaSeconds: 20 });
  });

  it('gives no estimate before the first slice, after the last, or once the job stopped running', () => {
    expect(toJobSummary(row({ progress: { done: 0, total: 30, at: '2026-11-26T10:00:10Z' } })).progress?.etaSeconds).toBeNull();
    expect(toJobSummary(row({ progress: { done: 30, total: 30, at: '2026-11-26T10:00:10Z' } })).progress?.etaSeconds).toBeNull();
    expect(toJobSummary(row({ state: 'failed', progress: { done: 10, total: 30, at: '2026-11-26T10:00:10Z' } })).progress).toEqual({ done: 10, total: 30, etaSeconds: null });
    expect(toJobSummary(row({})).progress).toBeNull();
  });
});
