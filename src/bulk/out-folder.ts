import { cp, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import type { CurrentJob } from '../store/series-progress.js';

/** What a file name can hold of a DICOM value: other characters become '_'. */
function folderName(value: string): string {
  const safe = value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 128);
  return safe === '' || /^\.+$/.test(safe) ? `_${safe}` : safe;
}

async function dicomFiles(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder)).filter((name) => name.endsWith('.dcm')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Where a derived series goes: <out>/<PatientID>/<StudyInstanceUID>/<derived SeriesInstanceUID>/. */
export function derivedSeriesFolder(out: string, series: { patientId: string; studyInstanceUid: string }, derivedSeriesUid: string): string {
  return path.join(out, folderName(series.patientId || 'unknown-patient'), folderName(series.studyInstanceUid), folderName(derivedSeriesUid));
}

/**
 * Copies a finished job's derived series from the node's derived folder into the folder tree,
 * whole or not at all (copied beside it, then renamed); a folder already holding every file is
 * left as it is. Returns the folder and whether it was written now.
 */
export async function writeDerivedSeries(out: string, series: { patientId: string; studyInstanceUid: string }, job: CurrentJob): Promise<{ dir: string; written: boolean }> {
  if (!job.derivedSeriesUid || !job.outputDir) throw new InvalidInputError(`job ${job.id} (${job.ruleId}) is done but recorded no derived series`);
  const dir = derivedSeriesFolder(out, series, job.derivedSeriesUid);
  const source = await dicomFiles(job.outputDir);
  if (job.outputRemoved || source.length === 0) {
    if ((await dicomFiles(dir)).length > 0) return { dir, written: false };
    throw new InvalidInputError(`the derived files of job ${job.id} (${job.ruleId}) were removed by retention before bulk copied them; route the series again to make them`);
  }
  const present = await dicomFiles(dir);
  if (present.length === source.length && present.every((name, i) => name === source[i])) return { dir, written: false };
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  for (const name of source) await cp(path.join(job.outputDir, name), path.join(partial, name));
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  return { dir, written: true };
}
