import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Queryable } from '../db/database.js';
import { InvalidInputError } from '../errors.js';
import { calibrationsFor } from '../store/calibrations.js';
import { describeIssues } from '../validation.js';
import { calibrationSchema, significant, type Calibration, type CalibrationKey } from './calibration.js';

/** Where a kernel-transfer step finds the calibration for a series: the node's database, or JSON files offline. */
export interface CalibrationCatalog {
  /** The newest calibration of each target kernel matching the key (one when it names the target). */
  find(key: CalibrationKey): Promise<Calibration[]>;
}

export function databaseCatalog(db: Queryable): CalibrationCatalog {
  return { find: (key) => calibrationsFor(db, key) };
}

/** A catalog over calibrations in memory (read from config/calibrations/ for offline processing). */
export function memoryCatalog(calibrations: readonly Calibration[]): CalibrationCatalog {
  return {
    async find(key) {
      const newest = new Map<string, Calibration>();
      for (const calibration of calibrations) {
        if (calibration.scanner.manufacturer !== key.manufacturer || calibration.scanner.modelName !== key.modelName) continue;
        if (calibration.sourceKernel !== key.sourceKernel || (key.targetKernel !== undefined && calibration.targetKernel !== key.targetKernel)) continue;
        const known = newest.get(calibration.targetKernel);
        if (!known || known.provenance.fittedAt < calibration.provenance.fittedAt) newest.set(calibration.targetKernel, calibration);
      }
      return [...newest.values()];
    },
  };
}

/** Reads and checks a calibration JSON file; the error names the file and the field. */
export async function readCalibrationFile(file: string): Promise<Calibration> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new InvalidInputError(`${file}: not a JSON file (${(error as Error).message})`, error);
  }
  const parsed = calibrationSchema.safeParse(json);
  if (!parsed.success) throw new InvalidInputError(`${file}: not a calibration: ${describeIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

/** Every *.json calibration in a folder (none when the folder does not exist). */
export async function readCalibrationFolder(folder: string): Promise<Calibration[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return Promise.all(names.filter((name) => name.endsWith('.json')).sort().map((name) => readCalibrationFile(path.join(folder, name))));
}

/** Writes a calibration as <manufacturer>-<model>-<source>-to-<target>-<id>.json; returns the path. */
export async function writeCalibrationFile(folder: string, calibration: Calibration): Promise<string> {
  await mkdir(folder, { recursive: true });
  const { scanner, sourceKernel, targetKernel, id } = calibration;
  const name = [scanner.manufacturer, scanner.modelName, sourceKernel, 'to', targetKernel, id.slice(0, 8)]
    .join('-')
    .replace(/[^A-Za-z0-9.-]+/g, '_');
  const file = path.join(folder, `${name}.json`);
  // Six significant digits: far finer than any fit, and a file a person can read and diff.
  const rounded = (_key: string, value: unknown) => (typeof value === 'number' && !Number.isInteger(value) ? significant(value) : value);
  await writeFile(file, `${JSON.stringify(calibration, rounded, 1)}\n`);
  return file;
}
