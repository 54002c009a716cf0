import type { Database } from './database.js';
import { connectPostgres } from './postgres.js';
import { openEmbeddedDatabase } from './embedded.js';
import { migrate } from './migrate.js';

export type DatabaseSettings =
  | { kind: 'postgres'; url: string; schema?: string }
  | { kind: 'embedded'; dataDir: string };

/** Opens the configured database and brings its schema up to date. */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  const db =
    settings.kind === 'postgres'
      ? await connectPostgres({ connectionString: settings.url, schema: settings.schema })
      : await openEmbeddedDatabase(settings.dataDir);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
