import express from 'express';
import { Registry } from 'prom-client';
import type { ApiDeps } from './api-deps.js';
import { securityHeaders, sameOriginWrites } from './browser-guards.js';
import { requireToken } from './require-token.js';
import { allowedHosts } from './allowed-hosts.js';
import { rejectDeepJson } from './json-depth.js';
import { withoutPaths } from './redact-paths.js';
import { errorHandler, unknownRoute } from './error-handler.js';
import { registerDatabaseMetrics } from './database-metrics.js';
import { methodNotAllowed, openApiDocument } from './openapi.js';
import { defaultConsoleDir } from './console-dir.js';
import { healthRoutes } from './routes/health-routes.js';
import { seriesRoutes } from './routes/series-routes.js';
import { jobRoutes } from './routes/job-routes.js';
import { ruleRoutes } from './routes/rule-routes.js';
import { configRoutes } from './routes/config-routes.js';
import { destinationRoutes } from './routes/destination-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { calibrationRoutes } from './routes/calibration-routes.js';

export type { ApiDeps, NodeInfo } from './api-deps.js';

/** Rules are a few kilobytes; anything far larger is a mistake or an attack. */
const JSON_BODY_LIMIT = '256kb';

export interface ApiOptions {
  consoleDir?: string;
  /** With a token, /api (but its health probe) and /metrics ask for it. */
  apiToken?: string;
  /** Host names besides this machine's that requests may name (see allowed-hosts.ts); undefined: any. */
  allowedHosts?: readonly string[];
}

/**
 * The REST API under /api, Prometheus metrics at /metrics, and the web console (static files of
 * console/) at /. Every guard is router middleware in front of the routes it guards, and paths are
 * matched case-sensitively. Nothing listens yet: startApi does that.
 */
export function createApi(deps: ApiDeps, options: ApiOptions = { allowedHosts: [] }): express.Express {
  const registry = deps.metrics ?? new Registry();
  registerDatabaseMetrics(registry, deps.db, deps.diskPaths);

  const app = express();
  app.set('case sensitive routing', true);
  // Job and delivery errors name files by their absolute spool paths; clients get the file names.
  app.set('json replacer', (key: string, value: unknown) => ((key === 'error' || key === 'lastError') && typeof value === 'string' ? withoutPaths(value) : value));
  app.disable('x-powered-by');
  app.use(securityHeaders);
  app.use(allowedHosts(options.allowedHosts));
  app.use(sameOriginWrites);
  app.use(express.json({ limit: JSON_BODY_LIMIT }));
  app.use(rejectDeepJson);
  app.use('/api', apiRouter(deps, options.apiToken));
  app.use('/metrics', requireToken(options.apiToken), metricsRoutes(registry));
  app.use(express.static(options.consoleDir ?? defaultConsoleDir, { index: 'index.html', fallthrough: true }));
  app.use(unknownRoute);
  app.use(errorHandler(deps.log));
  return app;
}

/** /api: the health probe is open (liveness); everything after the token guard needs the token. */
function apiRouter(deps: ApiDeps, token: string | undefined): express.Router {
  const api = express.Router({ caseSensitive: true });
  api.use(healthRoutes(deps));
  api.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(deps.node.version));
  });
  api.use(requireToken(token));
  api.use(seriesRoutes(deps));
  api.use(jobRoutes(deps));
  api.use(ruleRoutes(deps));
  api.use(destinationRoutes(deps));
  api.use(configRoutes(deps));
  api.use(auditRoutes(deps));
  api.use(calibrationRoutes(deps));
  api.use(methodNotAllowed);
  return api;
}
