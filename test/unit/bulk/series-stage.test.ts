/**
 * Where a series of a bulk run stands, from the node's own tables, and whether it must be moved
 * (again): what makes a run again resume instead of repeating.
 */
import { isSettled, needsMove, stageOf } from '../../../src/bulk/series-stage.js';
import type { CurrentJob, SeriesProgress } from '../../../src/store/series-progress.js';

const job = (state: CurrentJob['state'], extra: Partial<CurrentJob> = {}): CurrentJob => ({
  id: `job-${state}`,
  ruleId: 'harmonize-sharp-chest-ct',
  state,
  error: null,
  derivedSeriesUid: state === 'done' ? '2.25.1' : null,
  outputDir: state === 'done' ? '/var/derived/job' : null,
  outputRemoved: false,
  ...extra,
});

const progress = (extra: Partial<SeriesProgress>): SeriesProgress => ({
  seriesInstanceUid: '1.2.3.1',
  studyInstanceUid: '1.2.3',
  patientId: 'P1',
  state: 'routed',
  instanceCount: 30,
  incompleteReason: null,
  routing: { matched: [{}] },
  jobs: [],
  ...extra,
});

it('moves a series the node lacks, holds in part, or found incomplete', () => {
  for (const stage of [stageOf(undefined, false), stageOf(progress({ state: 'receiving' }), false), stageOf(progress({ state: 'incomplete', incompleteReason: 'gap at 12' }), false)]) {
    expect(needsMove(stage, 30, 12)).toBe(true);
    expect(isSettled(stage)).toBe(stage.stage !== 'receiving');
  }
  expect(stageOf(progress({ state: 'incomplete', incompleteReason: 'gap at 12' }), false)).toEqual({ stage: 'incomplete', reason: 'gap at 12' });
});

it('does not move again a series whose jobs are done, or that no rule matched, unless the PACS holds more of it now', () => {
  const done = stageOf(progress({ jobs: [job('done')] }), false);
  expect(done).toEqual({ stage: 'done', jobs: [job('done')] });
  expect(needsMove(done, 30, 30)).toBe(false);
  expect(needsMove(done, undefined, 30)).toBe(false);
  expect(needsMove(done, 31, 30)).toBe(true);
  const noRule = stageOf(progress({ routing: { matched: [], skippedReason: 'own output' } }), false);
  expect(noRule).toEqual({ stage: 'no-rule', reason: 'own output' });
  expect(needsMove(noRule, 30, 30)).toBe(false);
});

it("never moves the node's own output", () => {
  const own = stageOf(undefined, true);
  expect(own).toEqual({ stage: 'own-output' });
  expect(needsMove(own, 30, undefined)).toBe(false);
});

it('waits while any job of the current generation runs, then reports failures with their reasons', () => {
  const running = stageOf(progress({ jobs: [job('failed', { error: 'no calibration' }), job('delivering')] }), false);
  expect(running).toEqual({ stage: 'processing' });
  expect(isSettled(running)).toBe(false);
  const failed = stageOf(progress({ jobs: [job('failed', { error: 'no calibration' }), job('done')] }), false);
  expect(failed).toEqual({ stage: 'failed', reason: 'job job-failed (harmonize-sharp-chest-ct) failed: no calibration' });
  expect(stageOf(progress({ jobs: [job('superseded'), job('done')] }), false)).toEqual({ stage: 'done', jobs: [job('done')] });
});
