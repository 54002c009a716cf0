import type { Destination } from '../config/schema.js';
import type { Database, Queryable } from '../db/database.js';

export type DestinationSource = 'configuration' | 'api';

export interface StoredDestination {
  name: string;
  destination: Destination;
  source: DestinationSource;
  version: number;
}

interface DestinationRow {
  name: string;
  definition: Destination;
  source: DestinationSource;
  version: number;
}

const toStored = (row: DestinationRow): StoredDestination => ({ name: row.name, destination: row.definition, source: row.source, version: row.version });

/**
 * Makes the configured destinations the stored ones of source 'configuration': new ones added,
 * changed ones replaced (version raised), ones no longer configured removed. Configuration wins
 * over an API destination of the same name. Run by the node at start, before rules are seeded.
 */
export async function syncConfiguredDestinations(db: Database, configured: Readonly<Record<string, Destination>>): Promise<void> {
  await db.transaction(async (tx) => {
    for (const [name, destination] of Object.entries(configured)) {
      await tx.query(
        `INSERT INTO destinations (name, definition, source) VALUES ($1, $2, 'configuration')
         ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, source = 'configuration',
           version = destinations.version + 1, updated_at = now()
         WHERE destinations.definition IS DISTINCT FROM EXCLUDED.definition OR destinations.source <> 'configuration'`,
        [name, JSON.stringify(destination)],
      );
    }
    await tx.query(`DELETE FROM destinations WHERE source = 'configuration' AND NOT (name = ANY($1::text[]))`, [Object.keys(configured)]);
  });
}

export async function listStoredDestinations(db: Queryable): Promise<StoredDestination[]> {
  const { rows } = await db.query<DestinationRow>('SELECT name, definition, source, version FROM destinations ORDER BY name');
  return rows.map(toStored);
}

export async function getStoredDestination(db: Queryable, name: string): Promise<StoredDestination | undefined> {
  const { rows } = await db.query<DestinationRow>('SELECT name, definition, source, version FROM destinations WHERE name = $1', [name]);
  return rows[0] ? toStored(rows[0]) : undefined;
}

/** Every destination by name: what deliveries, C-ECHO and viewer links read. */
export async function destinationsByName(db: Queryable): Promise<Record<string, Destination>> {
  return Object.fromEntries((await listStoredDestinations(db)).map((stored) => [stored.name, stored.destination]));
}

/** Adds a destination made through the API; false when the name is taken. */
export async function insertApiDestination(db: Queryable, name: string, destination: Destination): Promise<boolean> {
  const { rowCount } = await db.query(`INSERT INTO destinations (name, definition, source) VALUES ($1, $2, 'api') ON CONFLICT (name) DO NOTHING`, [name, JSON.stringify(destination)]);
  return rowCount === 1;
}

/** Replaces an API destination at `version`; the new version, or undefined when it is not at that version (or not an API one). */
export async function updateApiDestination(db: Queryable, name: string, destination: Destination, version: number): Promise<number | undefined> {
  const { rows } = await db.query<{ version: number }>(
    `UPDATE destinations SET definition = $2, version = version + 1, updated_at = now()
      WHERE name = $1 AND source = 'api' AND version = $3 RETURNING version`,
    [name, JSON.stringify(destination), version],
  );
  return rows[0]?.version;
}

export async function deleteApiDestination(db: Queryable, name: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM destinations WHERE name = $1 AND source = 'api'`, [name]);
  return rowCount === 1;
}

/** The ids of the enabled rules that deliver to `name`. */
export async function enabledRulesNaming(db: Queryable, name: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM rules WHERE coalesce((definition->>'enabled')::boolean, true) AND definition->'destinations' ? $1 ORDER BY id`,
    [name],
  );
  return rows.map((row) => row.id);
}
