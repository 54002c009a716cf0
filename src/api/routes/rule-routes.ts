import { Router } from 'express';
import type { ApiDeps } from '../api-deps.js';
import { ConfigError, InvalidInputError } from '../../errors.js';
import { deleteRule, getVersionedRule, listVersionedRules, saveRule } from '../../store/rules.js';
import { ruleIdParam } from '../request-values.js';
import { badRequest, conflict, notFound } from '../http-error.js';
import { dryRunRules } from '../rules-dry-run.js';
import { recordAudit } from '../../store/audit-events.js';
import { apiActor } from '../audit-actor.js';

/** assertRuleReferences speaks of a rules file ("rules[0].steps[0].kind"); here there is one rule. */
function asSingleRuleError(error: ConfigError): InvalidInputError {
  const message = error.message.replace(/^invalid rules:/, 'invalid rule:').replace(/^rules\[0\]/gm, 'rule');
  return new InvalidInputError(message, error);
}

/** The rule in a request body, and the version the client read it at (a rule read, edited and sent back carries it). */
function ruleBody(body: unknown, id: string): { rule: Record<string, unknown>; readVersion?: number } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('expected a rule as a JSON object (Content-Type: application/json)');
  }
  const { version, ...rule } = body as Record<string, unknown>;
  if (version !== undefined && !(Number.isInteger(version) && (version as number) > 0)) throw badRequest(`version: expected the positive whole number the rule was read at, got ${JSON.stringify(version)}`);
  const readVersion = version as number | undefined;
  if (rule.id === undefined) return { rule: { ...rule, id }, readVersion };
  if (rule.id !== id) throw badRequest(`id: the rule's id ${JSON.stringify(rule.id)} differs from the id in the URL (${id})`);
  return { rule, readVersion };
}

export function ruleRoutes(deps: Pick<ApiDeps, 'db' | 'ruleReferences' | 'ownOutput'>): Router {
  const router = Router({ caseSensitive: true });
  router.get('/rules', async (_req, res) => {
    res.json({ rules: await listVersionedRules(deps.db) });
  });
  router.post('/rules/test', async (req, res) => {
    res.json(await dryRunRules(deps.db, req.body, deps.ownOutput));
  });
  router.get('/rules/:id', async (req, res) => {
    const id = ruleIdParam(req.params.id);
    const rule = await getVersionedRule(deps.db, id);
    if (!rule) throw notFound(`no rule ${id}`);
    res.json(rule);
  });
  router.put('/rules/:id', async (req, res) => {
    const id = ruleIdParam(req.params.id);
    const { rule: input, readVersion } = ruleBody(req.body, id);
    const existing = await getVersionedRule(deps.db, id);
    const existed = existing !== undefined;
    if (readVersion !== undefined && readVersion !== (existing?.version ?? 0)) {
      throw conflict(`rule ${id} is at version ${existing?.version ?? '(deleted)'}, not ${readVersion}: someone saved it since you read it; read it again`);
    }
    try {
      const rule = await saveRule(deps.db, input, await deps.ruleReferences());
      await recordAudit(deps.db, { at: new Date(), actor: apiActor(req), action: 'rule.saved', subject: rule.id, detail: { created: !existed, rule } });
      res.status(existed ? 200 : 201).json(rule);
    } catch (error) {
      if (error instanceof ConfigError) throw asSingleRuleError(error);
      throw error;
    }
  });
  router.delete('/rules/:id', async (req, res) => {
    const id = ruleIdParam(req.params.id);
    if (!(await deleteRule(deps.db, id))) throw notFound(`no rule ${id}`);
    await recordAudit(deps.db, { at: new Date(), actor: apiActor(req), action: 'rule.deleted', subject: id });
    res.status(204).end();
  });
  return router;
}
