import pg from 'pg';
import { UnavailableError } from '../errors.js';

/**
 * Holds a PostgreSQL advisory lock on one connection of its own while the schema is created and
 * migrated: the node and its workers start at the same time, and two processes must not apply
 * the same migration (or create the same schema) at once. The lock goes with the connection, so a
 * process that dies while holding it frees it.
 */
export async function holdMigrationLock(connectionString: string, schema: string | undefined): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString });
  client.on('error', () => {
    // A lost connection frees the lock; the migration's own queries report the failure.
  });
  try {
    await client.connect();
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`ctprep-migrations:${schema ?? 'public'}`]);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new UnavailableError(`cannot reach PostgreSQL: ${(error as Error).message}`, error);
  }
  return {
    async release() {
      await client.end();
    },
  };
}
