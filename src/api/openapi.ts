import { destinationCreateBody, destinationUpdateBody } from './routes/destination-routes.js';
import { retryBodySchema } from './routes/job-routes.js';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { calibrationSchema } from '../calibrate/calibration.js';
import { ruleSchema } from '../route/rule.js';
import { HttpError } from './http-error.js';
import { seriesQuerySchema } from './series-search.js';

type Method = 'get' | 'post' | 'put' | 'delete';
interface Operation {
  readonly summary: string;
  readonly body?: z.ZodType;
  /** The body may be left out (its fields have defaults). */
  readonly bodyOptional?: boolean;
  readonly query?: z.ZodObject;
  /** 'png' for an image answer; JSON otherwise. */
  readonly produces?: 'png';
}

/**
 * Every route of /api with its methods: the OpenAPI description served at /api/openapi.json (its
 * request schemas are the zod schemas that validate the requests, converted) and the list that
 * tells a wrong method on a known path (405, with Allow) from an unknown path (404).
 */
const ROUTES: Record<string, Partial<Record<Method, Operation>>> = {
  '/api/health': { get: { summary: 'The node and whether its database answers (503 when not)' } },
  '/api/health/live': { get: { summary: 'Liveness: the process answers' } },
  '/api/health/ready': { get: { summary: 'Readiness: the database answers and every data folder has 1 GiB free (503 naming what is not)' } },
  '/api/series': { get: { summary: 'Find series and studies (q, patient, accession, study UID, description, study dates), paged with the total', query: seriesQuerySchema } },
  '/api/series/{uid}': { get: { summary: 'One series: its tags, the full routing decision, its jobs with their derived series and deliveries (with a viewer link where the destination has one)' } },
  '/api/series/{uid}/route-again': { post: { summary: 'Route a complete series again by the current rules; its new jobs supersede the earlier ones' } },
  '/api/jobs': { get: { summary: 'Jobs, newest first, with steps, progress, quality report and deliveries' } },
  '/api/jobs/{id}': {
    get: { summary: 'One job: its rule snapshot and version, progress, error and its class, each step of each run (state, start, end, busy seconds, voxels per second, backend, model@version, error), deliveries with attempts and viewer links' },
  },
  '/api/jobs/{id}/preview.png': { get: { summary: 'Key slice of a finished job: input | output | difference (window=lung|mediastinal|bone)', produces: 'png' } },
  '/api/jobs/{id}/retry': {
    post: { summary: 'Run a failed, done or stuck job again: with its own copy of its rule (rule: frozen, the default) or as a new job from the rule as it is now (rule: current), which supersedes it', body: retryBodySchema, bodyOptional: true },
  },
  '/api/deliveries/{id}/retry': { post: { summary: 'Send a failed delivery again' } },
  '/api/rules': { get: { summary: 'The routing rules, with their versions' } },
  '/api/rules/test': { post: { summary: 'Dry run: route a series or header-like tags without making jobs' } },
  '/api/rules/{id}': {
    get: { summary: 'One rule' },
    put: { summary: 'Create or replace a rule (checked as a whole; send the version read to detect a conflicting save)', body: ruleSchema },
    delete: { summary: 'Delete a rule' },
  },
  '/api/calibrations': { get: { summary: 'Kernel calibrations, newest first' }, post: { summary: 'Import a calibration (as ctprep calibrate writes it)', body: calibrationSchema } },
  '/api/calibrations/{id}': { get: { summary: 'One calibration' } },
  '/api/destinations': {
    get: { summary: 'Destinations: from the configuration (read-only here) and made through the API, with their source and version' },
    post: { summary: 'Add a destination', body: destinationCreateBody },
  },
  '/api/destinations/{name}': {
    get: { summary: 'One destination' },
    put: { summary: 'Change a destination made through the API (send the version read)', body: destinationUpdateBody },
    delete: { summary: 'Delete a destination made through the API that no enabled rule delivers to' },
  },
  '/api/destinations/{name}/echo': { post: { summary: 'Test a destination with C-ECHO: ok and milliseconds, or the error' } },
  '/api/models': { get: { summary: 'Model manifests in the registry' } },
  '/api/models/{id}/card': { get: { summary: 'A model card as HTML: what the model accepts and makes, then its README' } },
  '/api/audit': { get: { summary: 'The audit trail, newest first' } },
  '/api/openapi.json': { get: { summary: 'This description' } },
};

function jsonSchema(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}

export function openApiDocument(version: string): unknown {
  const paths = Object.fromEntries(
    Object.entries(ROUTES).map(([path, methods]) => [
      path,
      Object.fromEntries(
        Object.entries(methods).map(([method, operation]) => {
          const parameters = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
          for (const [name, field] of Object.entries(operation.query?.shape ?? {})) parameters.push({ name, in: 'query', required: false, schema: jsonSchema(field as z.ZodType) as { type: string } });
          const content = operation.produces === 'png' ? { 'image/png': {} } : { 'application/json': {} };
          return [
            method,
            {
              summary: operation.summary,
              ...(parameters.length > 0 ? { parameters } : {}),
              ...(operation.body ? { requestBody: { required: !operation.bodyOptional, content: { 'application/json': { schema: jsonSchema(operation.body) } } } } : {}),
              responses: { '200': { description: 'OK', content }, '400': { description: 'Invalid request: the message names the field' } },
            },
          ];
        }),
      ),
    ]),
  );
  return {
    openapi: '3.1.0',
    info: { title: 'ct-preprocessing-node', version, description: 'REST API of the node. With a token configured, send Authorization: Bearer <token>.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}

const TEMPLATES = Object.entries(ROUTES).map(([path, methods]) => ({
  pattern: new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`),
  allowed: Object.keys(methods).map((method) => method.toUpperCase()),
}));

/** A known path asked with a method it does not have: 405 with Allow, instead of 404. */
export function methodNotAllowed(req: Request, res: Response, next: NextFunction): void {
  const path = `${req.baseUrl}${req.path}`;
  const known = TEMPLATES.find(({ pattern }) => pattern.test(path));
  if (!known) return next();
  const allowed = known.allowed.includes('GET') ? [...known.allowed, 'HEAD'] : known.allowed;
  res.set('Allow', allowed.join(', '));
  next(new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`));
}
