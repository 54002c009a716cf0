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

export async function listRules(db: Queryable): Promise<Rule[]> {
  const { rows } = await db.query<{ definition: unknown }>('SELECT definition FROM rules ORDER BY created_at, id');
  return parseRules(rows.map((row) => row.definition));
}

export async function getRule(db: Queryable, id: string): Promise<Rule | undefined> {
  const { rows } = await db.query<{ definition: unknown }>('SELECT definition FROM rules WHERE id = $1', [id]);
  return rows[0] ? ruleSchema.parse(rows[0].definition) : undefined;
}

/** Validates a rule from a person (API, CLI) and stores it, replacing one with the same id. */
export async function saveRule(db: Queryable, input: unknown, known: KnownRuleReferences): Promise<Rule> {
  const rule = parseRule(input);
  assertRuleReferences([rule], known);
  await db.query(
    `INSERT INTO rules (id, definition) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET definition = EXCLUDED.definition, updated_at = now()`,
    [rule.id, JSON.stringify(rule)],
  );
  return rule;
}

export async function deleteRule(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM rules WHERE id = $1', [id]);
  return rowCount > 0;
}

async function insertRule(tx: Queryable, rule: Rule): Promise<void> {
  await tx.query('INSERT INTO rules (id, definition) VALUES ($1, $2)', [rule.id, JSON.stringify(rule)]);
}
