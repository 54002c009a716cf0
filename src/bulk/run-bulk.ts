import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { allowedCallers, isLoopbackHost, type NodeConfig } from '../config/schema.js';
import { FindSession } from '../dicom/query-retrieve.js';
import type { DicomPeer } from '../dicom/scu-association.js';
import { UnavailableError } from '../errors.js';
import { mapLimited } from '../imaging/map-limited.js';
import type { Logger } from '../log.js';
import { startNode, type RunningNode } from '../node/start-node.js';
import { seriesProgress } from '../store/series-progress.js';
import { getJob } from '../store/job-queries.js';
import type { Queryable } from '../db/database.js';
import { findSeries, type FoundSeries } from './find-series.js';
import { moveSeries } from './move-series.js';
import { writeDerivedSeries } from './out-folder.js';
import { parseQuery } from './query.js';
import { resolvePacs } from './pacs.js';
import { isSettled, needsMove, type SeriesStage, stageOf } from './series-stage.js';

/** done: processed in this run; already-done: by an earlier run (or the node's normal work); skipped: no rule, or the node's own output. */
export type BulkOutcome = 'done' | 'already-done' | 'skipped' | 'failed';

export interface BulkItem {
  series: FoundSeries;
  outcome: BulkOutcome;
  /** Moved from the PACS in this run. */
  moved: boolean;
  detail: string;
  /** The derived series of its jobs (one per matching rule), where --out put each, and how each was made. */
  derived: DerivedByBulk[];
}

export interface DerivedByBulk {
  ruleId: string;
  seriesInstanceUid: string;
  dir?: string;
  /** The steps of the job's last run: what ran (label), model@version or calibration, backend. */
  steps?: { kind: string; label: string; model?: string; backend?: string; seconds?: number }[];
  /** From the job's start to its end. */
  seconds?: number;
  /** The job's quality report (jobs/quality-report.ts). */
  quality?: Record<string, unknown>;
}

export interface BulkReport {
  pacs: string;
  items: BulkItem[];
  moved: number;
  counts: Record<BulkOutcome, number>;
}

export interface BulkRequest {
  config: NodeConfig;
  /** A destination of the configuration, or AE@host:port. */
  from: string;
  /** The filters (query.ts). */
  query: string;
  /** Also copy each derived series to <out>/<PatientID>/<StudyInstanceUID>/<derived SeriesInstanceUID>/. */
  out?: string;
  /** Series moved and not yet finished, at most; default 2. */
  concurrency?: number;
  /** Longest silence of the PACS during a C-FIND or C-MOVE; default 120 s. */
  timeoutMs?: number;
  /** How often the node's tables are read while a series is processed; default 500 ms. */
  pollMs?: number;
  log: Logger;
  /** Stops the run: no more moves, no more waiting; what finished is kept, a run again resumes. */
  signal?: AbortSignal;
  /** The query's answer, before anything is moved. */
  onFound?(series: readonly FoundSeries[]): void;
  /** Each series as it ends. */
  onItem?(item: BulkItem): void;
}

const DEFAULT_CONCURRENCY = 2;
const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_POLL_MS = 500;

/**
 * `ctprep bulk`: finds the series of a PACS that the query selects, starts the node in this
 * process (same configuration, rules, workers, deliveries and database), C-MOVEs each series to
 * it at most `concurrency` at a time, and follows it through the node's own tables until its jobs
 * are done. What the node already finished is not moved again, so a run again resumes.
 */
export async function runBulk(request: BulkRequest): Promise<BulkReport> {
  const { config, log } = request;
  const query = parseQuery(request.query);
  const pacs = await resolvePacs(request.from, config);
  const pacsName = `${pacs.aeTitle}@${pacs.host}:${pacs.port}`;
  if (request.out) await mkdir(request.out, { recursive: true });
  const found = await findOnPacs(pacs, config.dicom.aeTitle, query, request.timeoutMs ?? DEFAULT_TIMEOUT_MS, log);
  request.onFound?.(found);
  log.info({ pacs: pacsName, series: found.length }, 'bulk: series found');
  if (found.length === 0) return report(pacsName, []);

  if (isLoopbackHost(config.dicom.host) && !isLoopbackHost(pacs.host)) {
    log.warn({ dicomHost: config.dicom.host, pacs: pacsName }, 'bulk: the node listens on loopback only; a PACS on another machine cannot send to it (set dicom.host)');
  }
  const node = await startNode(nodeConfigFor(config, pacs, log), { log });
  try {
    const follow = new SeriesFollower(request, pacs, node);
    const items = await mapLimited(found, request.concurrency ?? DEFAULT_CONCURRENCY, async (series) => {
      const item = await follow.series(series);
      log.info({ series: series.seriesInstanceUid, outcome: item.outcome, moved: item.moved, detail: item.detail }, 'bulk: series ended');
      request.onItem?.(item);
      return item;
    });
    return report(pacsName, items);
  } finally {
    await node.stop();
  }
}

function report(pacs: string, items: BulkItem[]): BulkReport {
  const counts: Record<BulkOutcome, number> = { done: 0, 'already-done': 0, skipped: 0, failed: 0 };
  for (const item of items) counts[item.outcome]++;
  return { pacs, items, moved: items.filter((item) => item.moved).length, counts };
}

async function findOnPacs(pacs: DicomPeer, aeTitle: string, query: ReturnType<typeof parseQuery>, timeoutMs: number, log: Logger): Promise<FoundSeries[]> {
  let session: FindSession | undefined;
  try {
    session = await FindSession.open(pacs, aeTitle, timeoutMs);
    const found = await findSeries(session, query, log);
    await session.close();
    return found;
  } catch (error) {
    session?.abort();
    if (error instanceof UnavailableError && /rejected|aborted/.test(error.message)) {
      throw new UnavailableError(`${error.message}; does the PACS let AE ${aeTitle} query and retrieve (in Orthanc: a DicomModalities entry with that AET)?`, error);
    }
    throw error;
  }
}

/** The node as configured, also letting the PACS in as a caller: the moves arrive from it. */
function nodeConfigFor(config: NodeConfig, pacs: DicomPeer, log: Logger): NodeConfig {
  const callers = allowedCallers(config);
  if (callers.some((caller) => caller.aeTitle === '*' || caller.aeTitle === pacs.aeTitle)) return config;
  log.info({ aeTitle: pacs.aeTitle }, 'bulk: letting the PACS send to the node for this run');
  return { ...config, dicom: { ...config.dicom, callers: [...callers, { aeTitle: pacs.aeTitle, overwrite: 'keep-first' }] } };
}

/** One series from where the node has it to the end of its jobs. */
class SeriesFollower {
  /** Why no more series are moved (the PACS became unreachable, or does not know the node). */
  private stopMoving: string | undefined;

  constructor(
    private readonly request: BulkRequest,
    private readonly pacs: DicomPeer,
    private readonly node: RunningNode,
  ) {}

  async series(series: FoundSeries): Promise<BulkItem> {
    const base = { series, moved: false, derived: [] };
    try {
      return await this.follow(series, base);
    } catch (error) {
      if (error instanceof UnavailableError) this.stopMoving ??= error.message;
      return { ...base, outcome: 'failed', detail: (error as Error).message };
    }
  }

  private async follow(series: FoundSeries, base: Omit<BulkItem, 'outcome' | 'detail'>): Promise<BulkItem> {
    let { stage, instanceCount } = await this.stage(series);
    const doneBefore = stage.stage === 'done';
    let moved = false;
    if (needsMove(stage, series.instanceCount, instanceCount)) {
      const notMoving = this.request.signal?.aborted ? 'interrupted' : this.stopMoving;
      if (notMoving) return { ...base, outcome: 'failed', detail: `not moved: ${notMoving}` };
      const { dicom } = this.request.config;
      const outcome = await moveSeries({
        pacs: this.pacs,
        node: { aeTitle: dicom.aeTitle, host: dicom.host, port: this.node.dicomPort },
        series,
        timeoutMs: this.request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      });
      if (!outcome.ok) {
        if (outcome.fatal) this.stopMoving ??= outcome.error;
        return { ...base, outcome: 'failed', detail: outcome.error ?? 'C-MOVE failed' };
      }
      moved = true;
      await this.node.whenIndexed();
      ({ stage } = await this.stage(series));
      if (stage.stage === 'absent') {
        return { ...base, moved, outcome: 'failed', detail: `the PACS reported the move done (${outcome.completed} instances) but the node holds none of the series` };
      }
    }
    while (!isSettled(stage)) {
      if (this.request.signal?.aborted) return { ...base, moved, outcome: 'failed', detail: `interrupted while ${stage.stage}; run again to finish` };
      await sleep(this.request.pollMs ?? DEFAULT_POLL_MS);
      ({ stage } = await this.stage(series));
    }
    const item = await this.settled(series, stage);
    return { ...item, moved, outcome: item.outcome === 'done' && doneBefore && !moved ? 'already-done' : item.outcome };
  }

  private async settled(series: FoundSeries, stage: SeriesStage): Promise<Omit<BulkItem, 'moved'>> {
    const base = { series, derived: [] };
    switch (stage.stage) {
      case 'own-output':
        return { ...base, outcome: 'skipped', detail: "the node's own output" };
      case 'no-rule':
        return { ...base, outcome: 'skipped', detail: stage.reason };
      case 'incomplete':
        return { ...base, outcome: 'failed', detail: `incomplete on the node: ${stage.reason}` };
      case 'failed':
        return { ...base, outcome: 'failed', detail: stage.reason };
      case 'done': {
        const derived = [];
        let written = 0;
        for (const job of stage.jobs) {
          const entry = { ruleId: job.ruleId, seriesInstanceUid: job.derivedSeriesUid ?? '', ...(await howMade(this.node.db, job.id)) };
          if (!this.request.out) {
            derived.push(entry);
            continue;
          }
          const copy = await writeDerivedSeries(this.request.out, series, job);
          if (copy.written) written++;
          derived.push({ ...entry, dir: copy.dir });
        }
        const what = `${derived.length} derived series (${derived.map((d) => d.ruleId).join(', ')})${this.request.out ? `, ${written} written to the folder tree now` : ''}`;
        return { ...base, outcome: 'done', detail: what, derived };
      }
      default:
        throw new Error(`series ${series.seriesInstanceUid} is still ${stage.stage}`);
    }
  }

  private async stage(series: FoundSeries): Promise<{ stage: SeriesStage; instanceCount: number | undefined }> {
    const { progress, derived } = await seriesProgress(this.node.db, [series.seriesInstanceUid]);
    const row = progress.get(series.seriesInstanceUid);
    return { stage: stageOf(row, derived.has(series.seriesInstanceUid)), instanceCount: row?.instanceCount };
  }
}

/** The steps, seconds and quality report of a finished job, for the run's report. */
async function howMade(db: Queryable, jobId: string): Promise<Pick<DerivedByBulk, 'steps' | 'seconds' | 'quality'>> {
  const job = await getJob(db, jobId);
  if (!job) return {};
  const lastRun = Math.max(0, ...job.stepRuns.map((step) => step.run));
  const steps = job.stepRuns
    .filter((step) => step.run === lastRun)
    .sort((a, b) => a.index - b.index)
    .map((step) => ({
      kind: step.kind,
      label: step.label ?? step.kind,
      ...(step.model ? { model: step.model } : {}),
      ...(step.backend ? { backend: step.backend } : {}),
      ...(step.busySeconds !== null ? { seconds: step.busySeconds } : {}),
    }));
  const seconds = job.startedAt && job.finishedAt ? (job.finishedAt.getTime() - job.startedAt.getTime()) / 1000 : undefined;
  return { steps, ...(seconds !== undefined ? { seconds } : {}), ...(job.quality ? { quality: job.quality } : {}) };
}
