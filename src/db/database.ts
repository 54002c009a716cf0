export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** Anything that runs one parameterised SQL statement: the database itself or an open transaction. */
export interface Queryable {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
}

/**
 * The node's one database interface, served by PostgreSQL (pg) or by embedded Postgres (PGlite).
 * exec runs a script of several statements without parameters (migrations, pg-boss's own SQL)
 * and returns the rows of its last statement.
 */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'embedded';
  exec(script: string): Promise<Record<string, unknown>[]>;
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
