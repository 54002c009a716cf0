import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Umzug, type UmzugStorage } from 'umzug';
import type { Database } from './database.js';

/** migrations/ at the package root: two levels above src/db and dist/db alike. */
export const defaultMigrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

const migrationFileName = /^\d{3}_[a-z0-9_]+\.sql$/;

/**
 * Applies the SQL files of migrations/ in name order through umzug. Each file runs in one
 * transaction together with the row that records it, so a failed migration leaves no trace.
 */
export async function migrate(db: Database, migrationsDir = defaultMigrationsDir): Promise<string[]> {
  await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
  const storage: UmzugStorage = {
    async executed() {
      const { rows } = await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
      return rows.map((row) => row.name);
    },
    async logMigration() {
      // Recorded inside the migration's own transaction (see resolve below).
    },
    async unlogMigration({ name }) {
      await db.query('DELETE FROM schema_migrations WHERE name = $1', [name]);
    },
  };
  const umzug = new Umzug({
    migrations: {
      glob: ['*.sql', { cwd: migrationsDir }],
      resolve: ({ name, path }) => ({
        name,
        up: async () => {
          if (!migrationFileName.test(name)) throw new Error(`migration file name not allowed: ${name}`);
          const script = await readFile(path!, 'utf8');
          await db.exec(`BEGIN;\n${script}\n;\nINSERT INTO schema_migrations (name) VALUES ('${name}');\nCOMMIT;`);
        },
      }),
    },
    storage,
    logger: undefined,
  });
  const applied = await umzug.up();
  return applied.map((migration) => migration.name);
}
