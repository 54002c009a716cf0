import path from 'node:path';
import { access, appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { loadConfig } from '../config/load-config.js';
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
 * the rule's steps changed since; every outcome is appended to <output>/process-log.jsonl.
 */
export async function runProcessFolder(input: string, output: string, options: ProcessOptions): Promise<void> {
  const file = await access(options.config).then(() => options.config, () => undefined);
  const config = await loadConfig(file);
  const rules = await loadRulesFile(config.rulesFile);
  const forced = options.rule ? rules.find((rule) => rule.id === options.rule) : undefined;
  if (options.rule && !forced) throw new InvalidInputError(`no rule '${options.rule}' in ${config.rulesFile}`);

  const seriesList = [...(await groupBySeries(await listFiles(input), config.derive)).values()];
  await mkdir(output, { recursive: true });
  const record = (outcome: Outcome) => appendFile(path.join(output, 'process-log.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), ...outcome })}\n`);
  const inference = await startInferenceEngine(config, (line) => console.error(line));
  const stepKinds = defaultStepKinds();
  const calibrations = memoryCatalog(await readCalibrationFolder(config.calibrationsDir));
  let failures = 0;
  try {
    for (const [index, series] of seriesList.entries()) {
      const uid = series.tags.seriesInstanceUid;
      const progress = `[${index + 1}/${seriesList.length}] ${uid}`;
      const matched = forced ? [forced] : routeSeries(rules, series.tags).matched.map(({ rule }) => rule);
      if (matched.length === 0) {
        console.log(`${progress}: no rule matches (${series.files.size} files); left alone`);
        await record({ series: uid, status: 'no-rule' });
        continue;
      }
      for (const rule of matched) {
        const outputDir = path.join(output, `${uid}.${rule.id}`);
        const marker = `${outputDir}.done.json`;
        const earlier = options.redo ? undefined : await readMarker(marker);
        const unchanged = earlier?.sourceInstances === series.files.size && earlier.ruleSteps === JSON.stringify(rule.steps);
        if (earlier && unchanged) {
          console.log(`${progress}: rule ${rule.id} already done (${earlier.files} files in ${outputDir}); skipped`);
          await record({ series: uid, rule: rule.id, status: 'already-done', outputDir, files: earlier.files });
          continue;
        }
        if (earlier) console.log(`${progress}: rule ${rule.id} was done on ${earlier.sourceInstances} instances with ${earlier.ruleSteps}; series or rule changed, processing again`);
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
          console.log(`${progress}: rule ${rule.id} -> ${result.files.length} files in ${outputDir} (${seconds.toFixed(1)} s)`);
          await record({ series: uid, rule: rule.id, status: 'done', outputDir, files: result.files.length, seconds });
        } catch (error) {
          failures++;
          const message = (error as Error).message;
          console.error(`${progress}: rule ${rule.id} failed: ${message}`);
          await record({ series: uid, rule: rule.id, status: 'failed', error: message });
        }
      }
    }
  } finally {
    await inference.close();
  }
  if (failures > 0) process.exitCode = 1;
}

interface Marker {
  files: number;
  sourceInstances: number;
  ruleSteps: string;
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
async function groupBySeries(files: string[], marks: OwnOutputMarks): Promise<Map<string, FolderSeries>> {
  const series = new Map<string, FolderSeries>();
  for (const file of files) {
    let headers: ImageHeader[];
    try {
      headers = await readImageHeaders(file);
    } catch (error) {
      console.error(`skipping ${file}: ${(error as Error).message}`);
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
