import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Queryable } from '../db/database.js';
import { InvalidInputError } from '../errors.js';
import { bicubicUpsample2x } from '../imaging/bicubic-upsample.js';
import { openSeries } from '../imaging/load-series.js';
import { memorySource } from '../imaging/memory-source.js';
import { BONE_WINDOW, LUNG_WINDOW, MEDIASTINAL_WINDOW, renderPanels, type DisplayWindow, type GreyImage } from '../imaging/render-png.js';
import { seriesFiles } from '../store/instances.js';
import { loadJob } from '../store/jobs.js';

export const PREVIEW_WINDOWS = { lung: LUNG_WINDOW, mediastinal: MEDIASTINAL_WINDOW, bone: BONE_WINDOW } as const;
export type PreviewWindow = keyof typeof PREVIEW_WINDOWS;

/** Output minus input, from -200 (black) to +200 HU (white); 0 is mid-grey. */
const DIFFERENCE_WINDOW: DisplayWindow = { centre: 0, width: 400 };

/**
 * A finished job's key slice (the middle of its derived series) beside the input slice at the same
 * position (upsampled bicubically for super-resolution) and their difference, as one PNG in the
 * given window. Undefined for an unknown job; InvalidInputError while it has no derived series.
 */
export async function renderJobPreview(db: Queryable, jobId: string, window: PreviewWindow): Promise<Buffer | undefined> {
  const job = await loadJob(db, jobId);
  if (!job) return undefined;
  if (!job.output_dir || !job.derived_series_uid) throw new InvalidInputError(`job ${jobId} is ${job.state}: it has no derived series to show yet`);
  const outputDir = job.output_dir;
  const derivedFiles = (await readdir(outputDir).catch(() => [] as string[])).filter((name) => name.endsWith('.dcm')).map((name) => path.join(outputDir, name));
  if (derivedFiles.length === 0) throw new InvalidInputError(`job ${jobId}: its derived files are no longer on this node`);
  const derived = (await openSeries(derivedFiles)).source;
  const source = (await openSeries(await seriesFiles(db, job.series_instance_uid))).source;
  const k = Math.floor(derived.sliceCount / 2);
  const position = derived.geometry.positions[k];
  const distance = (p: readonly number[]) => Math.hypot(p[0] - position[0], p[1] - position[1], p[2] - position[2]);
  const j = source.geometry.positions.reduce((best, p, index) => (distance(p) < distance(source.geometry.positions[best]) ? index : best), 0);
  const output: GreyImage = { rows: derived.geometry.rows, columns: derived.geometry.columns, hu: await derived.readSlice(k) };
  let input: GreyImage = { rows: source.geometry.rows, columns: source.geometry.columns, hu: await source.readSlice(j) };
  if (output.rows === 2 * input.rows && output.columns === 2 * input.columns) {
    const single = memorySource({ ...source.geometry, positions: [source.geometry.positions[j]] }, [input.hu]);
    input = { rows: output.rows, columns: output.columns, hu: await bicubicUpsample2x(single).readSlice(0) };
  }
  if (output.rows !== input.rows || output.columns !== input.columns) throw new InvalidInputError(`job ${jobId}: output and input grids differ (${output.rows}x${output.columns}, ${input.rows}x${input.columns})`);
  const difference: GreyImage = { ...output, hu: output.hu.map((value, i) => value - input.hu[i]) };
  const shown = PREVIEW_WINDOWS[window];
  return renderPanels([{ image: input, window: shown }, { image: output, window: shown }, { image: difference, window: DIFFERENCE_WINDOW }]);
}
