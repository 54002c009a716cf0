import { performance } from 'node:perf_hooks';
import { Router } from 'express';
import { z } from 'zod';
import { destinationSchema } from '../../config/schema.js';
import { recordAudit } from '../../store/audit-events.js';
import {
  deleteApiDestination,
  enabledRulesNaming,
  getStoredDestination,
  insertApiDestination,
  listStoredDestinations,
  updateApiDestination,
  type StoredDestination,
} from '../../store/destinations.js';
import { describeIssues } from '../../validation.js';
import type { ApiDeps } from '../api-deps.js';
import { apiActor } from '../audit-actor.js';
import { badRequest, conflict, notFound } from '../http-error.js';
import { withPasswordHidden, withPasswordKept } from '../destination-password.js';

const namePattern = /^[A-Za-z0-9_-]{1,64}$/;

/** The body of a create (with its name) or an update (with the version read): the configuration's own destination schema. */
export const destinationCreateBody = destinationSchema.extend({ name: z.string().regex(namePattern, 'letters, digits, - and _ (at most 64)') }).strict();
export const destinationUpdateBody = destinationSchema.extend({ version: z.number().int().min(1) }).strict();

function parsed<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw badRequest(describeIssues(result.error, ['destination']).join('; '));
  return result.data;
}

function nameParam(name: string): string {
  if (!namePattern.test(name)) throw badRequest(`name: expected letters, digits, - and _, got ${JSON.stringify(name)}`);
  return name;
}

const view = (stored: StoredDestination) => ({ name: stored.name, ...withPasswordHidden(stored.destination), source: stored.source, version: stored.version });

const fromConfiguration = (name: string) =>
  conflict(`destination ${name} comes from the configuration: change it in the configuration file or the CTPREP_DESTINATION_${name.toUpperCase().replace(/-/g, '_')}_* variables (an edit here would be undone at the next start)`);

/**
 * Destinations as stored (store/destinations.ts): those of the configuration, read-only here, and
 * those made here, which can be changed (with the version read) and deleted (unless an enabled
 * rule delivers to them). POST /destinations/:name/echo tests one by C-ECHO.
 */
export function destinationRoutes(deps: Pick<ApiDeps, 'db' | 'echoDestination'>): Router {
  const router = Router({ caseSensitive: true });
  router.get('/destinations', async (_req, res) => {
    res.json({ destinations: (await listStoredDestinations(deps.db)).map(view) });
  });
  router.get('/destinations/:name', async (req, res) => {
    const name = nameParam(req.params.name);
    const stored = await getStoredDestination(deps.db, name);
    if (!stored) throw notFound(`no destination ${name}`);
    res.json(view(stored));
  });
  router.post('/destinations', async (req, res) => {
    const { name, ...sent } = parsed(destinationCreateBody, req.body);
    const destination = withPasswordKept(sent, undefined);
    if (!(await insertApiDestination(deps.db, name, destination))) throw conflict(`destination ${name} exists: change it with PUT /api/destinations/${name}`);
    await recordAudit(deps.db, { at: new Date(), actor: apiActor(req), action: 'destination.created', subject: name, detail: { destination: withPasswordHidden(destination) } });
    res.status(201).json(view((await getStoredDestination(deps.db, name))!));
  });
  router.put('/destinations/:name', async (req, res) => {
    const name = nameParam(req.params.name);
    const { version, ...sent } = parsed(destinationUpdateBody, req.body);
    const stored = await getStoredDestination(deps.db, name);
    if (!stored) throw notFound(`no destination ${name}`);
    if (stored.source === 'configuration') throw fromConfiguration(name);
    const destination = withPasswordKept(sent, stored.destination);
    const saved = await updateApiDestination(deps.db, name, destination, version);
    if (saved === undefined) throw conflict(`destination ${name} is at version ${stored.version}, not ${version}: someone saved it since you read it; read it again`);
    await recordAudit(deps.db, { at: new Date(), actor: apiActor(req), action: 'destination.saved', subject: name, detail: { destination: withPasswordHidden(destination), version: saved } });
    res.json(view((await getStoredDestination(deps.db, name))!));
  });
  router.delete('/destinations/:name', async (req, res) => {
    const name = nameParam(req.params.name);
    const stored = await getStoredDestination(deps.db, name);
    if (!stored) throw notFound(`no destination ${name}`);
    if (stored.source === 'configuration') throw fromConfiguration(name);
    const rules = await enabledRulesNaming(deps.db, name);
    if (rules.length > 0) throw conflict(`destination ${name} is named by enabled rule${rules.length > 1 ? 's' : ''} ${rules.join(', ')}: change or disable ${rules.length > 1 ? 'them' : 'it'} first`);
    await deleteApiDestination(deps.db, name);
    await recordAudit(deps.db, { at: new Date(), actor: apiActor(req), action: 'destination.deleted', subject: name });
    res.status(204).end();
  });
  router.post('/destinations/:name/echo', async (req, res) => {
    const name = nameParam(req.params.name);
    const stored = await getStoredDestination(deps.db, name);
    if (!stored) throw notFound(`no destination ${JSON.stringify(name)}`);
    if (!deps.echoDestination) throw notFound('this node tests no destinations');
    const { aeTitle, host, port } = stored.destination;
    const started = performance.now();
    try {
      await deps.echoDestination(name, stored.destination);
      res.json({ destination: name, aeTitle, host, port, ok: true, milliseconds: Math.round(performance.now() - started) });
    } catch (error) {
      res.json({ destination: name, aeTitle, host, port, ok: false, error: (error as Error).message });
    }
  });
  return router;
}
