import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { access } from 'node:fs/promises';
import { allowedCallers, apiHostNames, type NodeConfig } from './config/schema.js';
import { destinationPeer, listenerTls } from './config/tls-files.js';
import type { Logger } from './log.js';
import type { Database } from './db/database.js';
import { openDatabase } from './db/open-database.js';
import { startDicomListener } from './dicom/listener.js';
import { sendInstances } from './dicom/sender.js';
import { orthancRest } from './deliver/orthanc-rest.js';
import { openSpool } from './ingest/spool.js';
import { recordAudit } from './store/audit-events.js';
import { startIngest } from './ingest/start-ingest.js';
import { loadRulesFile, assertRuleReferences } from './route/load-rules.js';
import { startQueue } from './queue/queue.js';
import { seedRules } from './store/rules.js';
import { routeCompleteSeries } from './route/route-series.js';
import { startPipelineWorkers } from './jobs/start-workers.js';
import { startRecovery } from './queue/recover-stale.js';
import { retryJob } from './jobs/retry-job.js';
import { retryDelivery } from './deliver/retry-delivery.js';
import { defaultStepKinds } from './jobs/steps/index.js';
import { startInferenceEngine } from './inference/engine.js';
import { createApi } from './api/create-api.js';
import { startApi } from './api/start-api.js';

export interface RunningNode {
  readonly dicomPort: number;
  readonly apiPort: number;
  readonly db: Database;
  /** Runs the series-completion check now instead of waiting for the next tick. */
  checkCompletion(): Promise<void>;
  /** Resolves when every instance received so far is indexed. */
  whenIndexed(): Promise<void>;
  stop(): Promise<void>;
}

export interface NodeOptions {
  log: Logger;
  clock?: () => Date;
  /** Set false to receive and route without processing (e.g. a node that only ingests). */
  runWorkers?: boolean;
}

/**
 * The one place where the stages meet: database, queue, spool, DICOM listener, series completion,
 * routing, workers, delivery and the API. Everything else receives what it needs as arguments.
 */
export async function startNode(config: NodeConfig, options: NodeOptions): Promise<RunningNode> {
  const { log } = options;
  const clock = options.clock ?? (() => new Date());
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        log.error({ err: error }, 'error while stopping');
      }
    }
  };

  try {
    const db = await openDatabase(
      config.databaseUrl
        ? { kind: 'postgres', url: config.databaseUrl, schema: config.databaseSchema }
        : { kind: 'embedded', dataDir: path.join(config.dataDir, 'db') },
    );
    stops.push(() => db.close());
    log.info({ database: db.kind }, 'database ready');

    const stepKinds = defaultStepKinds();
    const ruleReferences = () => ({ destinations: Object.keys(config.destinations), stepKinds: [...stepKinds.keys()] });
    if (await exists(config.rulesFile)) {
      const seed = await loadRulesFile(config.rulesFile);
      assertRuleReferences(seed, ruleReferences());
      const seeded = await seedRules(db, seed);
      if (seeded > 0) log.info({ rules: seeded, file: config.rulesFile }, 'routing rules seeded');
    }

    const boss = await startQueue(db, {
      schema: config.databaseSchema ? `${config.databaseSchema}_queue` : 'pgboss',
      processing: { retryLimit: config.jobs.retryLimit, retryDelaySeconds: config.jobs.retryDelaySeconds },
      delivery: { retryLimit: config.delivery.retryLimit, retryDelaySeconds: config.delivery.retryDelaySeconds },
      log,
    });
    stops.push(() => boss.stop({ graceful: true, wait: true, timeout: 10_000 }));

    const inference = await startInferenceEngine(config, (line) => log.info(line));
    stops.push(() => inference.close());

    if (options.runWorkers !== false) {
      const peers = Object.fromEntries(
        await Promise.all(Object.entries(config.destinations).map(async ([name, destination]) => [name, await destinationPeer(name, destination)] as const)),
      );
      const holder = {
        workerId: `${os.hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`,
        heartbeatMs: config.jobs.heartbeatSeconds * 1000,
        staleMs: config.jobs.staleAfterSeconds * 1000,
      };
      const recovery = startRecovery({ db, boss, clock, log, staleMs: holder.staleMs, intervalMs: holder.heartbeatMs });
      stops.push(() => recovery.stop());
      const workers = await startPipelineWorkers(
        boss,
        {
          processing: {
            db,
            boss,
            stepKinds,
            stepContext: { inference },
            derivedDir: path.join(config.dataDir, 'derived'),
            uidRoot: config.derive.uidRoot,
            nodeName: config.derive.nodeName,
            clock,
            log,
            holder,
          },
          delivery: {
            db,
            destinations: config.destinations,
            callingAeTitle: config.dicom.aeTitle,
            send: (request) => sendInstances({ ...request, destination: peers[request.destinationName]! }),
            orthanc: (url) => orthancRest(url),
            timeoutMs: config.delivery.timeoutMs,
            clock,
            log,
            holder,
          },
        },
        { concurrency: config.jobs.concurrency, deliveryConcurrency: 2, pollingIntervalSeconds: 0.5 },
      );
      stops.push(() => workers.stop());
    }

    const spool = await openSpool(path.join(config.dataDir, 'spool'));
    const ingest = await startIngest({
      db,
      spool,
      log,
      clock,
      quietMs: config.completion.quietSeconds * 1000,
      unconfirmedQuietMs: config.completion.unconfirmedQuietSeconds * 1000,
      minSlices: config.completion.minSlices,
      checkIntervalMs: config.completion.checkIntervalMs,
      async onSeriesComplete(seriesInstanceUid) {
        const routed = await routeCompleteSeries(seriesInstanceUid, {
          db,
          boss,
          uidRoot: config.derive.uidRoot,
          nodeName: config.derive.nodeName,
          clock,
        });
        if (routed) {
          log.info(
            { series: seriesInstanceUid, generation: routed.generation, jobs: routed.jobIds.length, skipped: routed.decision.skippedReason },
            routed.jobIds.length > 0 ? 'series complete: jobs queued' : 'series complete: no rule matched',
          );
        }
      },
    });
    stops.push(() => ingest.stop());

    const listener = await startDicomListener(
      {
        aeTitle: config.dicom.aeTitle,
        host: config.dicom.host,
        port: config.dicom.port,
        incomingDir: spool.incomingDir,
        maxPduLength: config.dicom.maxPduLength,
        callers: allowedCallers(config),
        tls: await listenerTls(config),
        ...config.dicom.limits,
        logger: log,
      },
      {
        onInstance: async (received) => ingest.acceptInstance(received),
        onAssociationEnd: (ended) =>
          ingest.associationEnded(ended.associationId, ended.reason === 'released' && ended.refusedInstances === 0 ? 'released' : 'interrupted'),
        onAssociationRejected: (rejected) =>
          recordAudit(db, {
            at: clock(),
            actor: `dicom ${rejected.callingAeTitle}@${rejected.remoteAddress ?? 'unknown'}`,
            action: 'association.rejected',
            subject: rejected.callingAeTitle,
            detail: { reason: rejected.reason, detail: rejected.detail, calledAeTitle: rejected.calledAeTitle },
          }),
      },
    );
    stops.push(() => listener.close());
    log.info({ aeTitle: config.dicom.aeTitle, host: config.dicom.host, port: listener.port }, 'DICOM listener ready');

    const app = createApi({
      db,
      retryJob: (jobId) => retryJob(db, boss, jobId, clock(), config.jobs.staleAfterSeconds * 1000),
      retryDelivery: (deliveryId) => retryDelivery(db, boss, deliveryId, clock()),
      ruleReferences,
      destinations: config.destinations,
      node: { aeTitle: config.dicom.aeTitle, dicomPort: listener.port, version: '0.1.0', databaseKind: db.kind },
      ownOutput: { uidRoot: config.derive.uidRoot, nodeName: config.derive.nodeName },
      log,
      models: async () => inference.registry.ids().map((id) => inference.registry.getModel(id).manifest),
    }, { apiToken: config.api.token, allowedHosts: apiHostNames(config.api) });
    const api = await startApi(app, { host: config.api.host, port: config.api.port });
    stops.push(() => api.close());
    log.info({ host: config.api.host, port: api.port, token: config.api.token !== undefined ? 'required' : 'none (loopback only)' }, 'API and console ready');

    return {
      dicomPort: listener.port,
      apiPort: api.port,
      db,
      checkCompletion: () => ingest.checkCompletion(),
      whenIndexed: () => ingest.drained(),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
