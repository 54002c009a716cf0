import path from 'node:path';
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { loadConfigIfPresent } from '../config/load-config.js';
import { InvalidInputError } from '../errors.js';
import { readImageHeaders, type ImageHeader } from '../dicom/file/image-headers.js';
import { describeSeries } from '../inference/accepts.js';
import { loadRulesFile } from '../route/load-rules.js';
import { routeSeries } from '../route/match-rules.js';
import { seriesTagsFromHeader, type SeriesTags } from '../route/series-tags.js';
import { defaultStepKinds } from './steps/index.js';
import { runSteps } from './run-steps.js';
import { isOwnOutput, type OwnOutputMarks } from '../route/own-output.js';
import { startInferenceEngine } from '../inference/engine.js';
import { listFiles } from '../dicom/file/list-files.js';
import { memoryCatalog, readCalibrationFolder } from '../calibrate/catalog.js';
import { mapLimited } from '../imaging/map-limited.js';
import type { StepSpec } from '../route/rule.js';
import type { QualityReport } from './quality-report.js';
import type { ReportRow, ReportStep } from './report-row.js';

/** One series of the folder: its images' headers (read once) and the tags routing matches on. */
interface FolderSeries {
  headers: ImageHeader[];
  files: Set<string>;
  tags: SeriesTags;
}

interface ProcessOptions {
  config: string;
  rule?: string;
  /** Process series again whose derived series an earlier run finished. */
  redo?: boolean;
  /** Series processed at once (default 1). */
  jobs?: number;
  /** How many series the folder holds, before any is processed. */
  onFound?(count: number): void;
  /** Each series as it ends: failed if a rule failed, done if a rule ran (with its slice count), else skipped. */
  onSeriesEnded?(outcome: 'done' | 'skipped' | 'failed', seriesInstanceUid: string, slices?: number): void;
  /** Where the one line per series and rule goes; default stdout. */
  log?(line: string): void;
  /** Slices written of a series and rule being processed, as they are written. */
  onSlices?(item: string, written: number, total: number): void;
}

/** A file of the input folder that holds no image this command can read (a DICOMDIR, a README, a broken header). */
export interface UnreadableFile {
  file: string;
  reason: string;
}

/** What <output>/process-log.jsonl records for each series and rule, one JSON line each. */
interface Outcome {
  series: string;
  rule?: string;
  status: 'done' | 'already-done' | 'failed' | 'no-rule';
  outputDir?: string;
  files?: number;
  seconds?: number;
  error?: string;
}

/**
 * Offline processing for people without a PACS at hand, and for archives harmonizing a whole
 * collection: every series in the input folder goes through the same rules and steps as on the
 * node, and each derived series is written to <output>/<source series UID>.<rule id>/. A finished
 * one gets <output>/<series UID>.<rule id>.done.json beside it, so that a run stopped half-way (or
 * run again on a grown collection) starts where it left off, unless the series' instance count or
 * the rule's steps changed since; every outcome is appended to <output>/process-log.jsonl and
 * returned, one row per series and rule, in the folder's order whatever `jobs` is, with the files
 * that were left out because no image could be read from them.
 */
export async function runProcessFolder(input: string, output: string, options: ProcessOptions): Promise<{ rows: ReportRow[]; unreadable: UnreadableFile[] }> {
  const { config } = await loadConfigIfPresent(options.config);
  const rules = await loadRulesFile(config.rulesFile);
  const forced = options.rule ? rules.find((rule) => rule.id === options.rule) : undefined;
  if (options.rule && !forced) throw new InvalidInputError(`no rule '${options.rule}' in ${config.rulesFile}`);

  const unreadable: UnreadableFile[] = [];
  const seriesList = [...(await groupBySeries(await listFiles(input), config.derive, unreadable)).values()];
  await mkdir(output, { recursive: true });
  const record = (outcome: Outcome) => appendFile(path.join(output, 'process-log.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), ...outcome })}\n`);
  const inference = await startInferenceEngine(config, (line) => console.error(line));
  const stepKinds = defaultStepKinds();
  const calibrations = memoryCatalog(await readCalibrationFolder(config.calibrationsDir));
  options.onFound?.(seriesList.length);
  const say = options.log ?? ((line: string) => console.log(line));
  try {
    const perSeries = await mapLimited([...seriesList.entries()], options.jobs ?? 1, async ([index, series]) => {
      const rows: ReportRow[] = [];
      const uid = series.tags.seriesInstanceUid;
      const row = { studyInstanceUid: String(series.headers[0]?.header.StudyInstanceUID ?? ''), seriesInstanceUid: uid };
      const progress = `[${index + 1}/${seriesList.length}] ${uid}`;
      /** The report's row and, from it, the line of process-log.jsonl: one record of each outcome. */
      const settle = async (ended: ReportRow, written?: { outputDir: string; files: number }) => {
        rows.push(ended);
        const ran = ended.state === 'done' || ended.state === 'failed';
        await record({
          series: uid,
          ...(ended.rule ? { rule: ended.rule } : {}),
          status: ended.state as Outcome['status'],
          ...written,
          ...(ran && ended.seconds !== undefined ? { seconds: ended.seconds } : {}),
          ...(ended.state === 'failed' ? { error: ended.reason } : {}),
        });
      };
      const matched = forced ? [forced] : routeSeries(rules, series.tags).matched.map(({ rule }) => rule);
      if (matched.length === 0) {
        say(`${progress}: no rule matches (${series.files.size} files); left alone`);
        await settle({ ...row, state: 'no-rule', reason: 'no rule matches' });
      }
      for (const rule of matched) {
        const outputDir = path.join(output, `${uid}.${rule.id}`);
        const marker = `${outputDir}.done.json`;
        const earlier = options.redo ? undefined : await readMarker(marker);
        const unchanged = earlier?.sourceInstances === series.files.size && earlier.ruleSteps === JSON.stringify(rule.steps);
        if (earlier && unchanged) {
          say(`${progress}: rule ${rule.id} already done (${earlier.files} files in ${outputDir}); skipped`);
          await settle({ ...row, rule: rule.id, state: 'already-done', derivedSeriesInstanceUid: earlier.derivedSeriesInstanceUid, steps: earlier.steps && reportSteps(rule.steps, earlier.steps), seconds: earlier.seconds, quality: earlier.quality }, { outputDir, files: earlier.files });
          continue;
        }
        if (earlier) say(`${progress}: rule ${rule.id} was done on ${earlier.sourceInstances} instances with ${earlier.ruleSteps}; series or rule changed, processing again`);
        const started = performance.now();
        try {
          const result = await runSteps({
            source: { headers: series.headers },
            series: describeSeries(series.tags),
            steps: rule.steps,
            stepKinds,
            stepContext: { inference, calibrations },
            outputDir,
            uidRoot: config.derive.uidRoot,
            nodeName: config.derive.nodeName,
            clock: () => new Date(),
            onProgress: async (written, total) => options.onSlices?.(`${uid} ${rule.id}`, written, total),
          });
          const seconds = Math.round(performance.now() - started) / 1000;
          await writeMarker(marker, {
            sourceSeriesInstanceUid: uid,
            sourceInstances: series.files.size,
            ruleId: rule.id,
            ruleSteps: JSON.stringify(rule.steps),
            derivedSeriesInstanceUid: result.seriesInstanceUid,
            files: result.files.length,
            seconds,
            steps: result.steps,
            quality: result.quality,
          });
          say(`${progress}: rule ${rule.id} -> ${result.files.length} files in ${outputDir} (${seconds.toFixed(1)} s)`);
          await settle({ ...row, rule: rule.id, state: 'done', derivedSeriesInstanceUid: result.seriesInstanceUid, steps: reportSteps(rule.steps, result.steps), seconds, quality: result.quality }, { outputDir, files: result.files.length });
        } catch (error) {
          const message = (error as Error).message;
          say(`${progress}: rule ${rule.id} failed: ${message}`);
          await settle({ ...row, rule: rule.id, state: 'failed', reason: message, seconds: Math.round(performance.now() - started) / 1000 });
        }
      }
      const outcome = seriesOutcome(rows);
      options.onSeriesEnded?.(outcome, uid, outcome === 'done' ? series.headers.length : undefined);
      return rows;
    });
    return { rows: perSeries.flat(), unreadable };
  } finally {
    await inference.close();
  }
}

/** A series failed if any of its rules did, is done if any ran, else was skipped. */
function seriesOutcome(rows: readonly ReportRow[]): 'done' | 'skipped' | 'failed' {
  if (rows.some((row) => row.state === 'failed')) return 'failed';
  return rows.some((row) => row.state === 'done') ? 'done' : 'skipped';
}

/** The rule's step kinds beside what ran (label, model@version or calibration, backend, busy seconds). */
function reportSteps(specs: readonly StepSpec[], steps: readonly MarkerStep[]): ReportStep[] {
  return steps.map((step, index) => {
    const model = step.report?.model ?? step.report?.calibration;
    const backend = step.report?.backend;
    const seconds = step.timing?.busySeconds;
    return {
      kind: specs[index]?.kind ?? 'unknown',
      label: step.label,
      ...(typeof model === 'string' ? { model } : {}),
      ...(typeof backend === 'string' ? { backend } : {}),
      ...(typeof seconds === 'number' ? { seconds: Math.round(seconds * 1000) / 1000 } : {}),
    };
  });
}

/** A step as the marker keeps it (RunStepsResult's steps, read back from JSON; older markers lack timing). */
interface MarkerStep {
  label: string;
  report?: Record<string, unknown>;
  timing?: { busySeconds?: number };
}

interface Marker {
  files: number;
  sourceInstances: number;
  ruleSteps: string;
  derivedSeriesInstanceUid?: string;
  seconds?: number;
  steps?: MarkerStep[];
  quality?: QualityReport;
}

async function readMarker(file: string): Promise<Marker | undefined> {
  try {
    const marker = JSON.parse(await readFile(file, 'utf8')) as Partial<Marker>;
    return typeof marker.files === 'number' && typeof marker.sourceInstances === 'number' && typeof marker.ruleSteps === 'string' ? (marker as Marker) : undefined;
  } catch {
    return undefined; // absent or cut short: the series is processed (again)
  }
}

/** Written after the derived series, and renamed into place, so that it exists only when that is whole. */
async function writeMarker(file: string, content: Record<string, unknown>): Promise<void> {
  await writeFile(`${file}.tmp`, `${JSON.stringify({ ...content, finishedAt: new Date().toISOString() }, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

/** Reads every file's header once (the same read the steps then load from) and groups images by series. */
async function groupBySeries(files: string[], marks: OwnOutputMarks, unreadable: UnreadableFile[]): Promise<Map<string, FolderSeries>> {
  const series = new Map<string, FolderSeries>();
  for (const file of files) {
    let headers: ImageHeader[];
    try {
      headers = await readImageHeaders(file);
    } catch (error) {
      console.error(`skipping ${file}: ${(error as Error).message}`);
      unreadable.push({ file, reason: (error as Error).message });
      continue;
    }
    for (const header of headers) {
      const entry = series.get(header.seriesInstanceUid);
      if (entry) {
        entry.headers.push(header);
        entry.files.add(file);
      } else {
        const tags = seriesTagsFromHeader(header.header, undefined, isOwnOutput(header.header, marks));
        series.set(header.seriesInstanceUid, { headers: [header], files: new Set([file]), tags });
      }
    }
  }
  return series;
}
