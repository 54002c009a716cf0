import path from 'node:path';
import { runProcessFolder } from '../jobs/process-folder.js';
import { startProgress } from './progress.js';
import { printSummary, writeRunReport } from './run-report.js';

export interface ProcessCommandOptions {
  config: string;
  rule?: string;
  redo?: boolean;
  jobs: number;
  /** Report files <report>.csv and <report>.json; default <output>/process-report. */
  report?: string;
}

/**
 * `ctprep process <input> <output>`: progress while the series are processed (`jobs` at a time),
 * then a summary on stderr and the CSV and JSON report; exit status 1 when a series failed.
 */
export async function runProcessCommand(input: string, output: string, options: ProcessCommandOptions): Promise<void> {
  const started = performance.now();
  const progress = startProgress({ label: 'process', total: 0, unit: 'series' });
  let processed;
  try {
    processed = await runProcessFolder(input, output, {
      ...options,
      onFound: (count) => progress.setTotal(count),
      onSeriesEnded: (outcome, uid, slices) => progress.advance(outcome, uid, slices),
      log: (line) => progress.log(line),
      onSlices: (item, written, total) => progress.slices(item, written, total),
    });
  } finally {
    progress.stop();
  }
  const { rows, unreadable } = processed;
  const meta = { command: 'process', input: path.resolve(input), output: path.resolve(output), jobs: options.jobs, unreadableFiles: unreadable };
  const files = await writeRunReport(options.report ?? path.join(output, 'process-report'), meta, rows);
  // Not a failure: exports hold DICOMDIRs and READMEs beside the images.
  const notes = unreadable.length === 0 ? [] : [`${unreadable.length} file(s) without a readable image left out (listed in the JSON report), e.g. ${unreadable[0]!.file}: ${unreadable[0]!.reason}`];
  printSummary('process', rows, (performance.now() - started) / 1000, files, notes);
  if (rows.some((row) => row.state === 'failed')) process.exitCode = 1;
}
