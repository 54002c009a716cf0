import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queryable } from '../db/database.js';
import { deliveryStates, jobStates, seriesStates } from './states.js';

const PREFIX = 'ctprep_';

async function countByState(db: Queryable, table: 'series' | 'jobs' | 'deliveries', states: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await db.query<{ state: string; count: number }>(`SELECT state, count(*)::int AS count FROM ${table} GROUP BY state`);
  const counts = new Map(states.map((state) => [state, 0]));
  for (const row of rows) counts.set(row.state, row.count);
  return counts;
}

function stateGauge(registry: Registry, db: Queryable, table: 'series' | 'jobs' | 'deliveries', states: readonly string[], help: string) {
  return new Gauge({
    name: `${PREFIX}${table}`,
    help,
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      for (const [state, count] of await countByState(db, table, states)) this.set({ state }, count);
    },
  });
}

function replaceExisting(registry: Registry, names: readonly string[]): void {
  for (const name of names) if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
}

/**
 * Gauges read from the database at scrape time, so every node process that serves the API reports
 * the same shared state. The instance gauges count what the index holds (a resent instance counts
 * once). Default process metrics are added unless the registry has them already.
 */
export function registerDatabaseMetrics(registry: Registry, db: Queryable): void {
  const names = ['series', 'jobs', 'deliveries', 'instances_received', 'instances_received_bytes'].map((name) => PREFIX + name);
  replaceExisting(registry, names);
  stateGauge(registry, db, 'series', seriesStates, 'Series in the index by state.');
  stateGauge(registry, db, 'jobs', jobStates, 'Jobs by state.');
  stateGauge(registry, db, 'deliveries', deliveryStates, 'Deliveries of derived series by state.');
  new Gauge({
    name: `${PREFIX}instances_received`,
    help: 'Instances received and held in the index.',
    registers: [registry],
    async collect() {
      const { rows } = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM instances');
      this.set(rows[0]?.count ?? 0);
    },
  });
  new Gauge({
    name: `${PREFIX}instances_received_bytes`,
    help: 'Bytes of the instances received and held in the index.',
    registers: [registry],
    async collect() {
      const { rows } = await db.query<{ bytes: number }>('SELECT COALESCE(sum(size_bytes), 0)::bigint AS bytes FROM instances');
      this.set(Number(rows[0]?.bytes ?? 0));
    },
  });
  if (!registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry });
}
