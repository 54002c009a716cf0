import { access } from 'node:fs/promises';
import path from 'node:path';
import type PgBoss from 'pg-boss';
import { Registry } from 'prom-client';
import { createNodeMetrics, type NodeMetrics } from '../metrics.js';
import type { NodeConfig } from '../config/schema.js';
import type { Database } from '../db/database.js';
import { openDatabase } from '../db/index.js';
import { defaultStepKinds, stepSpecProblems, type StepRegistry } from '../jobs/steps/index.js';
import type { Logger } from '../log.js';
import { startQueue } from '../queue/queue.js';
import { assertRuleReferences, loadRulesFile, type KnownRuleReferences } from '../route/load-rules.js';
import { rulesDifferingFromSeed, seedRules } from '../store/rules.js';
import type { StopList } from './stop-list.js';
import { readCalibrationFolder } from '../calibrate/index.js';
import { saveCalibration } from '../store/calibrations.js';
import { destinationsByName, syncConfiguredDestinations } from '../store/destinations.js';

export interface Storage {
  db: Database;
  boss: PgBoss;
  stepKinds: StepRegistry;
  /** Destinations (as stored now) and step kinds a rule may name (models are checked once the engine is up: start-http). */
  ruleReferences: () => Promise<KnownRuleReferences>;
  /** What /metrics serves, and the counters every stage moves. */
  registry: Registry;
  metrics: NodeMetrics;
}

/**
 * The database (PostgreSQL, or embedded) and the job queue on it; with `seed` (the receiving node,
 * not its workers) also the rules of the rules file and the calibrations of config/ stored into it.
 */
export async function startStorage(config: NodeConfig, log: Logger, stops: StopList, options: { seed: boolean }): Promise<Storage> {
  const db = await openDatabase(
    config.databaseUrl
      ? { kind: 'postgres', url: config.databaseUrl, schema: config.databaseSchema }
      : { kind: 'embedded', dataDir: path.join(config.dataDir, 'db') },
  );
  stops.add(() => db.close());
  log.info({ database: db.kind }, 'database ready');
  const stepKinds = defaultStepKinds();
  const ruleReferences = async (): Promise<KnownRuleReferences> => ({
    destinations: Object.keys(await destinationsByName(db)),
    stepKinds: [...stepKinds.keys()],
    stepProblems: (step, at) => stepSpecProblems(step, at, stepKinds),
  });
  if (options.seed) {
    await syncConfiguredDestinations(db, config.destinations);
    await seedFromConfiguration(config, db, await ruleReferences(), log);
  }
  const boss = await startQueue(db, {
    schema: config.databaseSchema ? `${config.databaseSchema}_queue` : 'pgboss',
    processing: { retryLimit: config.jobs.retryLimit, retryDelaySeconds: config.jobs.retryDelaySeconds },
    delivery: { retryLimit: config.delivery.retryLimit, retryDelaySeconds: config.delivery.retryDelaySeconds },
    log,
  });
  stops.add(() => boss.stop({ graceful: true, wait: true, timeout: 10_000 }));
  const registry = new Registry();
  return { db, boss, stepKinds, ruleReferences, registry, metrics: createNodeMetrics(registry) };
}

/** The rules file's rules (into an empty rules table) and the calibrations of calibrationsDir not stored yet. */
async function seedFromConfiguration(config: NodeConfig, db: Database, references: KnownRuleReferences, log: Logger): Promise<void> {
  if (await access(config.rulesFile).then(() => true, () => false)) {
    const seed = await loadRulesFile(config.rulesFile);
    assertRuleReferences(seed, references);
    const seeded = await seedRules(db, seed);
    if (seeded > 0) log.info({ rules: seeded, file: config.rulesFile }, 'routing rules seeded');
    const differing = seeded > 0 ? [] : await rulesDifferingFromSeed(db, seed);
    if (differing.length > 0) {
      log.info({ rules: differing, file: config.rulesFile }, 'the rules file differs from the rules in the database, which are the ones used (the file only seeds an empty table): compare them in the console or GET /api/rules');
    }
  }
  const imported = await importCalibrations(db, config.calibrationsDir);
  if (imported > 0) log.info({ calibrations: imported, folder: config.calibrationsDir }, 'kernel calibrations imported');
}

/** Stores the calibrations of config/calibrations/*.json not stored yet; returns how many were new. */
async function importCalibrations(db: Database, folder: string): Promise<number> {
  let imported = 0;
  for (const calibration of await readCalibrationFolder(folder)) if (await saveCalibration(db, calibration)) imported += 1;
  return imported;
}
