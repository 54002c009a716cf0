import express from 'express';
import { Registry } from 'prom-client';
import type { ApiDeps } from './api-deps.js';
import { securityHeaders, sameOriginWrites } from './browser-guards.js';
import { requireToken } from './require-token.js';
import { errorHandler, unknownRoute } from './error-handler.js';
import { registerDatabaseMetrics } from './database-metrics.js';
import { defaultConsoleDir } from './console-dir.js';
import { healthRoutes } from './routes/health-routes.js';
import { seriesRoutes } from './routes/series-routes.js';
import { jobRoutes } from './routes/job-routes.js';
import { ruleRoutes } from './routes/rule-routes.js';
import { configRoutes } from './routes/config-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';

export type { ApiDeps, NodeInfo } from './api-deps.js';

/** Rules are a few kilobytes; anything far larger is a mistake or an attack. */
const JSON_BODY_LIMIT = '256kb';

/**
 * The REST API under /api, Prometheus metrics at /metrics, and the web console (static files of
 * console/) at /; with apiToken, /api (but its health probe) and /metrics ask for it. Nothing
 * listens yet: startApi does that.
 */
export function createApi(deps: ApiDeps, options: { consoleDir?: string; apiToken?: string } = {}): express.Express {
  const registry = deps.metrics ?? new Registry();
  registerDatabaseMetrics(registry, deps.db);

  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders);
  app.use(requireToken(options.apiToken));
  app.use(sameOriginWrites);
  app.use(express.json({ limit: JSON_BODY_LIMIT }));
  app.use(healthRoutes(deps));
  app.use(seriesRoutes(deps));
  app.use(jobRoutes(deps));
  app.use(ruleRoutes(deps));
  app.use(configRoutes(deps));
  app.use(metricsRoutes(registry));
  app.use(express.static(options.consoleDir ?? defaultConsoleDir, { index: 'index.html', fallthrough: true }));
  app.use(unknownRoute);
  app.use(errorHandler(deps.log));
  return app;
}
