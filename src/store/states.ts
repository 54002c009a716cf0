/**
 * Every state a row can be in: the one list used by the SQL (as parameters), the API's filters,
 * the metrics and the code that moves rows from state to state (migrations hold the same values as
 * CHECK constraints).
 */
export const SeriesState = { Receiving: 'receiving', Routed: 'routed', Incomplete: 'incomplete' } as const;
export const JobState = {
  Queued: 'queued',
  Running: 'running',
  Delivering: 'delivering',
  Done: 'done',
  Failed: 'failed',
  Superseded: 'superseded',
} as const;
export const DeliveryState = { Pending: 'pending', Sending: 'sending', Done: 'done', Failed: 'failed', Superseded: 'superseded' } as const;
export const StepRunState = { Pending: 'pending', Running: 'running', Done: 'done', Failed: 'failed' } as const;

export type SeriesStateName = (typeof SeriesState)[keyof typeof SeriesState];
export type JobStateName = (typeof JobState)[keyof typeof JobState];
export type DeliveryStateName = (typeof DeliveryState)[keyof typeof DeliveryState];
export type StepRunStateName = (typeof StepRunState)[keyof typeof StepRunState];

export const seriesStates = Object.values(SeriesState);
export const jobStates = Object.values(JobState);
export const deliveryStates = Object.values(DeliveryState);
