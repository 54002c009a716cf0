import { readImageHeaders, type ImageHeader } from '../dicom/file/image-headers.js';
import { listFiles } from '../dicom/file/list-files.js';
import { calibratePair } from './calibrate-pair.js';
import type { Calibration } from './calibration.js';
import { writeCalibrationFile } from './catalog.js';
import { kernelOf, scannerOf } from './natural-pair.js';

export interface CalibrateFolderResult {
  readonly calibrations: { calibration: Calibration; file: string }[];
  readonly refused: { series: [string, string]; reason: string }[];
}

/**
 * `ctprep calibrate <folder>`: finds the natural pairs among the series of a folder, fits each
 * one's kernel transfer and writes it as JSON into `out` (config/calibrations/ by default, which a
 * node imports at start and `ctprep process` reads). Pairs of one scanner or one study that do not
 * qualify are reported with the reason.
 */
export async function calibrateFolder(folder: string, out: string, print: (line: string) => void): Promise<CalibrateFolderResult> {
  const series = await seriesOf(folder, print);
  const result: CalibrateFolderResult = { calibrations: [], refused: [] };
  const list = [...series.values()];
  print(`${list.length} series in ${folder}`);
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const [a, b] = [list[i], list[j]];
      const related = scannerOf(a[0]) === scannerOf(b[0]) || a[0].header.StudyInstanceUID === b[0].header.StudyInstanceUID;
      if (!related) continue;
      const name = `${describe(a)} + ${describe(b)}`;
      const outcome = await calibratePair(a, b, new Date());
      if (outcome.kind === 'refused') {
        print(`${name}: not a natural pair: ${outcome.reason}`);
        result.refused.push({ series: [a[0].seriesInstanceUid, b[0].seriesInstanceUid], reason: outcome.reason });
        continue;
      }
      const { calibration } = outcome;
      const file = await writeCalibrationFile(out, calibration);
      const fit = calibration.fitQuality;
      const measured = fit.input && fit.transfer
        ? `on ${fit.heldBackSlices} held-back slices MAE ${fit.input.maeHu.toFixed(1)} -> ${fit.transfer.maeHu.toFixed(1)} HU, SSIM ${fit.input.ssim.toFixed(3)} -> ${fit.transfer.ssim.toFixed(3)}`
        : 'too few slices to hold any back';
      print(`${name}: ${calibration.sourceKernel} -> ${calibration.targetKernel} fitted on ${calibration.provenance.slicesUsed} slices (${calibration.provenance.link}); ${measured}; residual ${calibration.residual.stdHu.toFixed(1)} HU; ${file}`);
      result.calibrations.push({ calibration, file });
    }
  }
  if (result.calibrations.length === 0) print('no natural pair found');
  return result;
}

function describe(series: readonly ImageHeader[]): string {
  return `${scannerOf(series[0])} ${kernelOf(series[0]) ?? '(no kernel)'} (${series.length} images)`;
}

async function seriesOf(folder: string, print: (line: string) => void): Promise<Map<string, ImageHeader[]>> {
  const series = new Map<string, ImageHeader[]>();
  for (const file of await listFiles(folder)) {
    let headers: ImageHeader[];
    try {
      headers = await readImageHeaders(file);
    } catch (error) {
      print(`skipping ${file}: ${(error as Error).message}`);
      continue;
    }
    for (const header of headers) {
      const list = series.get(header.seriesInstanceUid) ?? [];
      list.push(header);
      series.set(header.seriesInstanceUid, list);
    }
  }
  return series;
}
