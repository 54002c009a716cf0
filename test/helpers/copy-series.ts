import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { runDcmtk } from './dcmtk.js';

/**
 * Copies a real series into `dest` as a new study and series: new Study, Series and SOP Instance
 * UIDs (dcmodify, one process per series), pixel data and geometry untouched. Returns the new
 * SeriesInstanceUID. Used to make batches of distinct series from the few shared ones.
 */
export async function copySeriesUnderNewUids(source: string, dest: string): Promise<string> {
  await mkdir(dest, { recursive: true });
  const names = (await readdir(source)).sort();
  for (const name of names) await copyFile(path.join(source, name), path.join(dest, name));
  const [studyUid, seriesUid] = [randomUid(), randomUid()];
  const modified = await runDcmtk('dcmodify', ['-nb', '-gin', '-m', `(0020,000d)=${studyUid}`, '-m', `(0020,000e)=${seriesUid}`, ...names.map((name) => path.join(dest, name))], { timeoutMs: 120_000 });
  if (modified.code !== 0) throw new Error(`dcmodify: ${modified.stderr}`);
  return seriesUid;
}

/** A UID under 2.25 (ITU-T X.667): the decimal form of a random UUID. */
export function randomUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`)}`;
}
