import path from 'node:path';
import { calibrateFolder } from '../calibrate/calibrate-folder.js';
import { loadConfigIfPresent } from '../config/load-config.js';

/** ctprep calibrate <folder>: writes each natural pair's calibration; exit status 1 when there was none. */
export async function runCalibrate(folder: string, options: { config: string; out?: string }): Promise<void> {
  const out = options.out ? path.resolve(options.out) : (await loadConfigIfPresent(options.config)).config.calibrationsDir;
  const result = await calibrateFolder(folder, out, (line) => console.log(line));
  if (result.calibrations.length === 0) process.exitCode = 1;
}
