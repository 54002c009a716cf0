import type { Database, Queryable } from '../db/database.js';
import { ruleSchema, type Rule } from '../route/rule.js';
import { parseRule, parseRules, assertRuleReferences, type KnownRuleReferences } from '../route/load-rules.js';

/** Rules live in the database; config/rules.json seeds them when the table is empty. */
export async function seedRules(db: Database, seed: readonly Rule[]): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ count: number }>('SELECT count(*)::int AS count FROM rules');
    if ((rows[0]?.count ?? 0) > 0) return 0;
    for (const rule of seed) await insertRule(tx, rule);
    return seed.length;
  });
}

/**
 * Ids of the seed's rules that the database holds with another definition, or not at all: after an
 * upgrade the shipped file may have changed, and the database's rules are the ones used.
 */
export async function rulesDifferingFromSeed(db: Queryable, seed: readonly Rule[]): Promise<string[]> {
  const stored = new Map((await listRules(db)).map((rule) => [rule.id, JSON.stringify(rule)]));
  return seed.filter((rule) => stored.get(rule.id) !== JSON.stringify(ruleSchema.parse(rule))).map((rule) => rule.id);
}

export async function listRules(db: Queryable): Promise<Rule[]> {
  const { rows } = await db.query<{ definition: unknown }>('SELECT definition FROM rules ORDER BY created_at, id');
  return parseRules(rows.map((row) => row.definition));
}

/** A rule with the version it has in the database (1 when made, raised by each save). */
export type VersionedRule = Rule & { version: number };

export async function listVersionedRules(db: Queryable): Promise<VersionedRule[]> {
  const { rows } = await db.query<{ definition: unknown; version: number }>('SELECT definition, version FROM rules ORDER BY created_at, id');
  const rules = parseRules(rows.map((row) => row.definition));
  return rules.map((rule, index) => ({ ...rule, version: rows[index].version }));
}

export async function getVersionedRule(db: Queryable, id: string): Promise<VersionedRule | undefined> {
  const { rows } = await db.query<{ definition: unknown; version: number }>('SELECT definition, version FROM rules WHERE id = $1', [id]);
  return rows[0] ? { ...ruleSchema.parse(rows[0].definition), version: rows[0].version } : undefined;
}

/** Validates a rule from a person (API, CLI) and stores it, replacing one with the same id; its version goes up by one. */
export async function saveRule(db: Queryable, input: unknown, known: KnownRuleReferences): Promise<VersionedRule> {
  const rule = parseRule(input);
  assertRuleReferences([rule], known);
  const { rows } = await db.query<{ version: number }>(
    `INSERT INTO rules (id, definition) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET definition = EXCLUDED.definition, version = rules.version + 1, updated_at = now()
     RETURNING version`,
    [rule.id, JSON.stringify(rule)],
  );
  return { ...rule, version: rows[0].version };
}

export async function deleteRule(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM rules WHERE id = $1', [id]);
  return rowCount > 0;
}

async function insertRule(tx: Queryable, rule: Rule): Promise<void> {
  await tx.query('INSERT INTO rules (id, definition) VALUES ($1, $2)', [rule.id, JSON.stringify(rule)]);
}
