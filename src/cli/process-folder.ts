import path from 'node:path';
import { access } from 'node:fs/promises';
import { loadConfig } from '../config/load-config.js';
import { InvalidInputError } from '../errors.js';
import { readInstanceHeader, type InstanceHeader } from '../ingest/read-instance-header.js';
import { loadRulesFile } from '../routing/load-rules.js';
import { routeSeries } from '../routing/match-rules.js';
import { seriesTagsFromHeader } from '../routing/series-tags.js';
import type { Rule } from '../routing/rule.js';
import { defaultStepKinds } from '../pipeline/steps/index.js';
import { runSteps } from '../pipeline/run-steps.js';
import { isUnderOwnRoot } from '../pipeline/route-series.js';
import { startInferenceEngine } from '../node.js';
import { listFiles } from './list-dicom-files.js';

interface SeriesFiles {
  header: InstanceHeader;
  files: string[];
}

/**
 * Offline processing for people without a PACS at hand: every series in the input folder goes
 * through the same rules and steps as on the node, and each derived series is written to
 * <output>/<source series UID>.<rule id>/.
 */
export async function runProcessFolder(input: string, output: string, options: { config: string; rule?: string }): Promise<void> {
  const file = await access(options.config).then(() => options.config, () => undefined);
  const config = await loadConfig(file);
  const rules = await loadRulesFile(config.rulesFile);
  const forced = options.rule ? rules.find((rule) => rule.id === options.rule) : undefined;
  if (options.rule && !forced) throw new InvalidInputError(`no rule '${options.rule}' in ${config.rulesFile}`);

  const seriesList = await groupBySeries(await listFiles(input));
  const inference = await startInferenceEngine(config, (line) => console.error(line));
  const stepKinds = defaultStepKinds();
  let failures = 0;
  try {
    for (const series of seriesList.values()) {
      const uid = series.header.seriesInstanceUid;
      const matched = forced ? [forced] : matchingRules(rules, series.header, config.derive.uidRoot);
      if (matched.length === 0) {
        console.log(`${uid}: no rule matches (${series.files.length} files); left alone`);
        continue;
      }
      for (const rule of matched) {
        const outputDir = path.join(output, `${uid}.${rule.id}`);
        const started = performance.now();
        try {
          const result = await runSteps({
            files: series.files,
            steps: rule.steps,
            stepKinds,
            stepContext: { inference },
            outputDir,
            uidRoot: config.derive.uidRoot,
            nodeName: config.derive.nodeName,
            clock: () => new Date(),
          });
          const seconds = ((performance.now() - started) / 1000).toFixed(1);
          console.log(`${uid}: rule ${rule.id} -> ${result.files.length} files in ${outputDir} (${seconds} s)`);
        } catch (error) {
          failures++;
          console.error(`${uid}: rule ${rule.id} failed: ${(error as Error).message}`);
        }
      }
    }
  } finally {
    await inference.close();
  }
  if (failures > 0) process.exitCode = 1;
}

async function groupBySeries(files: string[]): Promise<Map<string, SeriesFiles>> {
  const series = new Map<string, SeriesFiles>();
  for (const file of files) {
    let header: InstanceHeader;
    try {
      header = await readInstanceHeader(file);
    } catch (error) {
      console.error(`skipping ${file}: ${(error as Error).message}`);
      continue;
    }
    const entry = series.get(header.seriesInstanceUid);
    if (entry) entry.files.push(file);
    else series.set(header.seriesInstanceUid, { header, files: [file] });
  }
  return series;
}

function matchingRules(rules: readonly Rule[], header: InstanceHeader, uidRoot: string): Rule[] {
  const tags = seriesTagsFromHeader(header.seriesTags, undefined, (uid) => isUnderOwnRoot(uid, uidRoot));
  return routeSeries(rules, tags).matched.map(({ rule }) => rule);
}
