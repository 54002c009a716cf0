import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name of its own for one test file, so test files never see each other's rows. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Drops a test file's schemas (the node's and its queue's); when one of its tests failed they are kept for a look. */
export async function dropSchemas(...schemas: string[]): Promise<void> {
  if ((globalThis as { __ctprepTestFailed?: boolean }).__ctprepTestFailed) {
    console.warn(`a test failed: keeping database schemas ${schemas.join(', ')} in ${testDatabaseUrl}`);
    return;
  }
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
