import express from 'express';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import { allowedHosts } from './allowed-hosts.js';
import { securityHeaders } from './browser-guards.js';
import { errorHandler, unknownRoute } from './error-handler.js';
import { requireToken } from './require-token.js';
import { healthRoutes } from './routes/health-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';

export interface WorkerInfo {
  role: 'worker';
  workerId: string;
  version: string;
  databaseKind: Database['kind'];
}

/**
 * What a `ctprep worker` serves: the health probes (for the container's HEALTHCHECK and an
 * orchestrator) and /metrics with the counters its jobs and deliveries move (step durations,
 * voxels/s, deliveries), which only this process sees. The REST API and console stay on the node.
 */
export function createWorkerApi(
  deps: { db: Database; worker: WorkerInfo; metrics: Registry; diskPaths: Readonly<Record<string, string>>; log: Logger },
  options: { apiToken?: string; allowedHosts?: readonly string[] },
): express.Express {
  if (!deps.metrics.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: deps.metrics });
  const app = express();
  app.set('case sensitive routing', true);
  app.disable('x-powered-by');
  app.use(securityHeaders);
  app.use(allowedHosts(options.allowedHosts));
  app.use('/api', healthRoutes({ db: deps.db, node: deps.worker, diskPaths: deps.diskPaths }));
  app.use('/metrics', requireToken(options.apiToken), metricsRoutes(deps.metrics));
  app.use(unknownRoute);
  app.use(errorHandler(deps.log));
  return app;
}
