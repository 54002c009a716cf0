/**
 * api/ — the REST API under /api, the console's files at /, Prometheus metrics at /metrics; guards
 * (token, Host, same-origin writes) as router middleware in front of what they guard.
 * May import: store, route, config (types), validation, errors, log. Retries are functions given to it.
 */
export { createApi, type ApiDeps } from './create-api.js';
export { startApi, type RunningApi } from './start-api.js';
export { createWorkerApi, type WorkerInfo } from './worker-api.js';
