import { Router } from 'express';
import type { ApiDeps } from '../api-deps.js';
import { ConfigError, InvalidInputError } from '../../errors.js';
import { deleteRule, getRule, listRules, saveRule } from '../../store/rules.js';
import { ruleIdParam } from '../request-values.js';
import { badRequest, notFound } from '../http-error.js';
import { dryRunRules } from '../rules-dry-run.js';
import { recordAudit } from '../../store/audit-events.js';
import { apiActor } from '../audit-actor.js';

/** assertRuleReferences speaks of a rules file ("rules[0].steps[0].kind"); here there is one rule. */
function asSingleRuleError(error: ConfigError): InvalidInputError {
  const message = error.message.replace(/^invalid rules:/, 'invalid rule:').replace(/^rules\[0\]/gm, 'rule');
  return new InvalidInputError(message, error);
}

function ruleBody(body: unknown, id: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('expected a rule as a JSON object (Content-Type: application/json)');
  }
  const rule = body as Record<string, unknown>;
  if (rule.id === undefined) return { ...rule, id };
  if (rule.id !== id) throw badRequest(`id: the rule's id ${JSON.stringify(rule.id)} differs from the id in the URL (${id})`);
  return rule;
}

export function ruleRoutes(deps: Pick<ApiDeps, 'db' | 'ruleReferences' | 'ownOutput'>): Router {
  const router = Router({ caseSensitive: true });
  router.get('/rules', async (_req, res) => {
    res.json({ rules: await listRules(deps.db) });
  });
  router.post('/rules/test', async (req, res) => {
    res.json(await dryRunRules(deps.db, req.body, deps.ownOutput));
  });
  router.get('/rules/:id', async (req, res) => {
    const id = ruleIdParam(req.params.id);
    const rule = await getRule(deps.db, id);
    if (!rule) throw notFound(`no rule ${id}`);
    res.json(rule);
  });
  router.put('/rules/:id', async (req, res) => {
    const id = ruleIdParam(req.params.id);
    const input = ruleBody(req.body, id);
    const existed = (await getRule(deps.db, id)) !== undefined;
    try {
      const rule = await saveRule(deps.db, input, deps.ruleReferences());
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
