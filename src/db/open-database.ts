import type { Database } from './database.js';
import { connectPostgres } from './postgres.js';
import { openEmbeddedDatabase } from './embedded.js';
import { migrate } from './migrate.js';
import { holdMigrationLock } from './migration-lock.js';

export type DatabaseSettings =
  | { kind: 'postgres'; url: string; schema?: string }
  | { kind: 'embedded'; dataDir: string };

/** Opens the configured database and brings its schema up to date (one process at a time: see migration-lock.ts). */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  if (settings.kind === 'embedded') return migrated(await openEmbeddedDatabase(settings.dataDir));
  const lock = await holdMigrationLock(settings.url, settings.schema);
  try {
    return await migrated(await connectPostgres({ connectionString: settings.url, schema: settings.schema }));
  } finally {
    await lock.release();
  }
}

async function migrated(db: Database): Promise<Database> {
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
