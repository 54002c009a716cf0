/**
 * queue/ — the job queue (pg-boss on the node's database), working on it, the one retry policy,
 * heartbeats of whoever holds a job or delivery, and giving back what dead workers held.
 * May import: store, db, errors, log.
 */
export { startQueue, enqueueIn, processQueue, deliverQueue } from './queue.js';
export { workOn } from './work.js';
export { judgeFailure, type Attempt } from './retry-policy.js';
export { startRecovery } from './recover-stale.js';
