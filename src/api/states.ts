/** The state values of the tables (migrations/001_initial.sql CHECK constraints), for filters and metrics. */
export const seriesStates = ['receiving', 'routed'] as const;
export const jobStates = ['queued', 'running', 'delivering', 'done', 'failed', 'superseded'] as const;
export const deliveryStates = ['pending', 'sending', 'done', 'failed', 'superseded'] as const;

export type SeriesState = (typeof seriesStates)[number];
export type JobStateName = (typeof jobStates)[number];
