import path from 'node:path';
import { parseConfig } from '../../src/config/load-config.js';
import type { NodeConfig } from '../../src/config/schema.js';
import { testDatabaseUrl } from './test-database.js';

/**
 * The configuration of a node started in the test's process (startNode): ephemeral ports, its data
 * folder under workDir, its own schema of the test database, a short quiet time, no calibrations
 * but those it fits; `overrides` adds the rest (rules, destinations, callers).
 */
export function testNodeConfig(workDir: string, schema: string, overrides: Record<string, unknown>): NodeConfig {
  return parseConfig({
    api: { port: 0 },
    dataDir: path.join(workDir, 'node'),
    databaseUrl: testDatabaseUrl,
    databaseSchema: schema,
    completion: { quietSeconds: 0.5, checkIntervalMs: 100 },
    calibrationsDir: path.join(workDir, 'no-calibrations'),
    jobs: { retryLimit: 0 },
    ...overrides,
    dicom: { port: 0, ...(overrides.dicom as object) },
  });
}
