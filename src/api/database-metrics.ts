import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queryable } from '../db/database.js';
import { deliveryStates, jobStates, seriesStates } from '../store/states.js';
import { statfs } from 'node:fs/promises';
import { countByState, instanceTotals, oldestQueuedJob } from '../store/state-counts.js';

const PREFIX = 'ctprep_';

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
export function registerDatabaseMetrics(registry: Registry, db: Queryable, diskPaths: Readonly<Record<string, string>> = {}): void {
  const names = ['series', 'jobs', 'deliveries', 'instances_received', 'instances_received_bytes', 'oldest_queued_job_age_seconds', 'disk_free_bytes'].map((name) => PREFIX + name);
  replaceExisting(registry, names);
  stateGauge(registry, db, 'series', seriesStates, 'Series in the index by state.');
  stateGauge(registry, db, 'jobs', jobStates, 'Jobs by state.');
  stateGauge(registry, db, 'deliveries', deliveryStates, 'Deliveries of derived series by state.');
  new Gauge({
    name: `${PREFIX}instances_received`,
    help: 'Instances received and held in the index.',
    registers: [registry],
    async collect() {
      this.set((await instanceTotals(db)).count);
    },
  });
  new Gauge({
    name: `${PREFIX}instances_received_bytes`,
    help: 'Bytes of the instances received and held in the index.',
    registers: [registry],
    async collect() {
      this.set((await instanceTotals(db)).bytes);
    },
  });
  new Gauge({
    name: `${PREFIX}oldest_queued_job_age_seconds`,
    help: 'Seconds the oldest job waiting in the queue has waited (0 when none waits).',
    registers: [registry],
    async collect() {
      const oldest = await oldestQueuedJob(db);
      this.set(oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0);
    },
  });
  new Gauge({
    name: `${PREFIX}disk_free_bytes`,
    help: 'Bytes free to this process on the file system of each data folder (spool, derived).',
    labelNames: ['folder'],
    registers: [registry],
    async collect() {
      for (const [folder, where] of Object.entries(diskPaths)) {
        const stats = await statfs(where).catch(() => undefined);
        if (stats) this.set({ folder }, Number(stats.bavail) * Number(stats.bsize));
      }
    },
  });
  if (!registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry });
}
