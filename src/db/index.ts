/**
 * db/ — the database connection (PostgreSQL through pg, or embedded PGlite in a worker thread)
 * behind one small interface, and the migrations.
 * May import: errors.
 */
export { openDatabase } from './open-database.js';
export type { Database, Queryable } from './database.js';
