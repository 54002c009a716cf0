/**
 * config/rules.json seeds an empty rules table only; after that the database's rules are used.
 * The node says at start which of the file's rules the database holds otherwise (an upgrade that
 * changed the shipped rules, or a rule edited through the API). Real PostgreSQL.
 */
import path from 'node:path';
import type { Database } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open-database.js';
import { loadRulesFile } from '../../src/route/load-rules.js';
import type { Rule } from '../../src/route/rule.js';
import { rulesDifferingFromSeed, seedRules } from '../../src/store/rules.js';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../helpers/test-database.js';

const schema = uniqueSchema('rules_seed');
let db: Database;
let shipped: Rule[];

beforeAll(async () => {
  db = await openDatabase({ kind: 'postgres', url: testDatabaseUrl, schema });
  shipped = await loadRulesFile(path.resolve('config/rules.json'));
});

afterAll(async () => {
  await db?.close();
  await dropSchemas(schema);
});

it('seeds an empty table once, and then names the rules of the file that the database holds otherwise or lacks', async () => {
  expect(await seedRules(db, shipped)).toBe(shipped.length);
  expect(await rulesDifferingFromSeed(db, shipped)).toEqual([]);
  expect(await seedRules(db, shipped)).toBe(0);

  // The next version of the file: the chest rule gained an alternative, and a rule is new.
  const [chest, ...others] = shipped;
  const upgraded = [{ ...chest!, match: { ...chest!.match, anyOf: [...chest!.match.anyOf!, { studyDescription: { pattern: 'chest' } }] } }, ...others, { ...others[0]!, id: 'new-rule' }];
  expect(await rulesDifferingFromSeed(db, upgraded)).toEqual([chest!.id, 'new-rule']);
});
