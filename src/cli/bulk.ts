import path from 'node:path';
import { runBulk, type BulkItem } from '../bulk/run-bulk.js';
import { loadConfigIfPresent } from '../config/load-config.js';
import { createLogger } from '../log.js';
import { startProgress } from './progress.js';
import { printSummary, writeRunReport, type ReportRow } from './run-report.js';

export interface BulkCommandOptions {
  config: string;
  from: string;
  query: string;
  out?: string;
  /** Report files <report>.csv and <report>.json; default <out>/bulk-report, or ./bulk-report without --out. */
  report?: string;
  concurrency: number;
  timeout: number;
}

function describe(item: BulkItem): string {
  const { series } = item;
  const what = [series.patientId, series.studyDate, series.convolutionKernel, series.seriesDescription].filter(Boolean).join(' ');
  return `${item.outcome}${item.moved ? ' (moved)' : ''}: ${series.seriesInstanceUid} [${what}]: ${item.detail}`;
}

/**
 * `ctprep bulk --from <PACS> --query '<filters>'`: one line per series as it ends, a summary, and
 * exit status 1 when a series failed. Ctrl-C stops moving and waiting (a run again resumes).
 */
export async function runBulkCommand(options: BulkCommandOptions): Promise<void> {
  const { config, found } = await loadConfigIfPresent(options.config);
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  if (!found) log.warn({ file: options.config }, 'configuration file not found; using defaults');
  const stop = new AbortController();
  process.once('SIGINT', () => {
    console.error('stopping: no more moves; what finished is kept, run the same command again to resume (Ctrl-C again to quit at once)');
    stop.abort();
  });
  const started = performance.now();
  const progress = startProgress({ label: 'bulk', total: 0, unit: 'series' });
  let report;
  try {
    report = await runBulk({
      config,
      from: options.from,
      query: options.query,
      ...(options.out ? { out: path.resolve(options.out) } : {}),
      concurrency: options.concurrency,
      timeoutMs: options.timeout * 1000,
      log,
      signal: stop.signal,
      onFound: (series) => {
        progress.setTotal(series.length);
        progress.log(`${series.length} series match on ${options.from}`);
      },
      onItem: (item) => {
        progress.log(describe(item));
        progress.advance(item.outcome === 'already-done' ? 'skipped' : item.outcome, item.series.seriesInstanceUid);
      },
    });
  } finally {
    progress.stop();
  }
  const { counts } = report;
  const minutes = (performance.now() - started) / 60_000;
  console.log(
    `bulk from ${report.pacs}: ${report.items.length} series, ${report.moved} moved; ${counts.done} done, ${counts['already-done']} done before, ${counts.skipped} skipped, ${counts.failed} failed (${minutes.toFixed(1)} min)`,
  );
  const prefix = options.report ?? path.join(options.out ?? '.', 'bulk-report');
  const files = await writeRunReport(prefix, { command: 'bulk', pacs: report.pacs, query: options.query }, report.items.flatMap(reportRows));
  printSummary('bulk', report.items.flatMap(reportRows), minutes * 60, files);
  if (counts.failed > 0) process.exitCode = 1;
}

/** One row per derived series (its rule), or one for the series when it has none. */
function reportRows(item: BulkItem): ReportRow[] {
  const row = { studyInstanceUid: item.series.studyInstanceUid, seriesInstanceUid: item.series.seriesInstanceUid, state: item.outcome, reason: item.detail };
  if (item.derived.length === 0) return [row];
  return item.derived.map((derived) => ({
    ...row,
    rule: derived.ruleId,
    derivedSeriesInstanceUid: derived.seriesInstanceUid,
    steps: derived.steps,
    seconds: derived.seconds,
    quality: derived.quality as ReportRow['quality'],
  }));
}
