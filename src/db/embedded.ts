import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import type { Database, QueryResult } from './database.js';

/**
 * Embedded Postgres (PGlite, Postgres compiled to WebAssembly) in a data folder, so that a first
 * run needs no database server. It serves the same migrations and the same pg-boss queue.
 */
export async function openEmbeddedDatabase(dataDir: string): Promise<Database & { pglite: PGlite }> {
  await mkdir(dataDir, { recursive: true });
  const pglite = new PGlite(dataDir);
  await pglite.waitReady;

  const query = async <Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> => {
    const result = await pglite.query<Row>(text, params as unknown[] | undefined);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  };

  return {
    kind: 'embedded',
    pglite,
    query,
    async exec(script) {
      const results = await pglite.exec(script);
      return (results.at(-1)?.rows as Record<string, unknown>[] | undefined) ?? [];
    },
    async transaction(work) {
      return pglite.transaction(async (tx) =>
        work({
          async query<Row>(text: string, params?: readonly unknown[]) {
            const r = await tx.query<Row>(text, params as unknown[] | undefined);
            return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
          },
        }),
      );
    },
    async close() {
      await pglite.close();
    },
  };
}
