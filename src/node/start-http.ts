import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createApi } from '../api/index.js';
import { startApi, type RunningApi } from '../api/index.js';
import { retryDelivery } from '../deliver/index.js';
import { destinationPeer } from '../config/tls-files.js';
import { echoDestination } from '../dicom/index.js';
import { apiHostNames, type NodeConfig } from '../config/schema.js';
import type { InferenceEngine } from '../inference/index.js';
import { renderJobPreview, retryJob, stepSpecProblems } from '../jobs/index.js';
import type { Logger } from '../log.js';
import { routeSeriesAgain } from '../route/index.js';
import type { Storage } from './start-storage.js';
import type { StopList } from './stop-list.js';

/** The REST API, console and metrics. */
export async function startHttp(config: NodeConfig, storage: Storage, inference: InferenceEngine, dicomPort: number, clock: () => Date, log: Logger, stops: StopList): Promise<RunningApi> {
  const { db, boss } = storage;
  const app = createApi(
    {
      db,
      retryJob: (jobId, options) => retryJob(db, boss, jobId, clock(), config.jobs.staleAfterSeconds * 1000, options),
      retryDelivery: (deliveryId) => retryDelivery(db, boss, deliveryId, clock()),
      jobPreview: (jobId, window) => renderJobPreview(db, jobId, window),
      echoDestination: async (name, destination) => echoDestination(config.dicom.aeTitle, await destinationPeer(name, destination), config.delivery.timeoutMs),
      routeAgain: (seriesInstanceUid) => routeSeriesAgain(seriesInstanceUid, { db, boss, ...config.derive, clock, log }),
      ruleReferences: async () => {
        const models = new Map(inference.registry.ids().map((id) => [id, inference.registry.getModel(id).manifest]));
        return { ...(await storage.ruleReferences()), stepProblems: (step, at) => stepSpecProblems(step, at, storage.stepKinds, { models }) };
      },
      node: { aeTitle: config.dicom.aeTitle, dicomPort, version: '0.1.0', databaseKind: db.kind },
      ownOutput: config.derive,
      metrics: storage.registry,
      diskPaths: { spool: path.join(config.dataDir, 'spool'), derived: path.join(config.dataDir, 'derived') },
      log,
      models: async () => inference.registry.ids().map((id) => inference.registry.getModel(id).manifest),
      modelCard: async (id) => {
        if (!inference.registry.ids().includes(id)) return undefined;
        const { manifest, folder } = inference.registry.getModel(id);
        const markdown = await readFile(path.join(folder, manifest.modelCard ?? 'README.md'), 'utf8').catch(() => `(no model card: ${manifest.modelCard ?? 'README.md'} is missing)`);
        return { manifest, markdown };
      },
    },
    { apiToken: config.api.token, allowedHosts: apiHostNames(config.api) },
  );
  const api = await startApi(app, { host: config.api.host, port: config.api.port });
  stops.add(() => api.close());
  log.info({ host: config.api.host, port: api.port, token: config.api.token !== undefined ? 'required' : 'none (loopback only)' }, 'API and console ready');
  return api;
}
