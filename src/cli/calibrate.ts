import { access } from 'node:fs/promises';
import path from 'node:path';
import { calibrateFolder } from '../calibrate/calibrate-folder.js';
import { loadConfig } from '../config/load-config.js';

/** ctprep calibrate <folder>: writes each natural pair's calibration; exit status 1 when there was none. */
export async function runCalibrate(folder: string, options: { config: string; out?: string }): Promise<void> {
  const out = options.out ? path.resolve(options.out) : (await loadConfig(await access(options.config).then(() => options.config, () => undefined))).calibrationsDir;
  const result = await calibrateFolder(folder, out, (line) => console.log(line));
  if (result.calibrations.length === 0) process.exitCode = 1;
}
