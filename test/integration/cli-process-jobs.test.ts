/**
 * ctprep process --jobs: several series at once give the same derived series as one at a time,
 * with progress lines on stderr (not a terminal), a summary, and the CSV and JSON reports.
 */
import { cp, mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dcmjs, readPart10, toArrayBuffer } from '../../src/dicom/file/dcmjs.js';
import { ctprep } from '../helpers/ctprep.js';

const dataDir = path.resolve(process.cwd(), '../shared/data/ct');
const RULE = 'harmonize-sharp-chest-ct';
/** Calibrated (Siemens B70f, Philips L), no calibration so the model fallback (B40f), and the Toshiba phantom, whose slice spacing is irregular: it fails. */
const SERIES = ['lung-pet-ct-dx-A0002-siemens-B70f', 'lung-pet-ct-dx-A0001-philips-L', 'lung-pet-ct-dx-A0002-siemens-B40f', 'toshiba-phantom-FC51'];
const SLICES = 4;

/** A derived file's dataset without the dates and times of its creation (SeriesTime, ContentTime, InstanceCreationTime, ...), and its pixel bytes. */
async function comparable(file: string): Promise<{ rest: unknown; pixels: Buffer }> {
  const dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(readPart10(toArrayBuffer(await readFile(file))).dict) as Record<string, unknown>;
  const pixels = Buffer.from((dataset.PixelData as ArrayBuffer[])[0]!);
  const rest = Object.fromEntries(Object.entries(dataset).filter(([key]) => key !== 'PixelData' && !/(Date|Time)$/.test(key)));
  return { rest, pixels };
}

interface Row {
  seriesInstanceUid: string;
  rule?: string;
  state: string;
  reason?: string;
  derivedSeriesInstanceUid?: string;
  steps?: { kind: string; label: string; model?: string; seconds?: number }[];
  quality?: { noiseHu: { before: number | null; after: number | null } };
}

it('process --jobs 2 writes the same derived series as --jobs 1, reports each series and rule, and shows progress', async () => {
  const input = await mkdtemp(path.join(os.tmpdir(), 'ctprep-jobs-in-'));
  for (const series of SERIES) {
    const files = (await readdir(path.join(dataDir, series))).sort().slice(0, SLICES);
    await mkdir(path.join(input, series));
    for (const file of files) await cp(path.join(dataDir, series, file), path.join(input, series, file));
  }
  const outputs: string[] = [];
  const results = [];
  for (const jobs of ['1', '2']) {
    const output = await mkdtemp(path.join(os.tmpdir(), `ctprep-jobs-${jobs}-`));
    outputs.push(output);
    results.push(await ctprep(['process', input, output, '--rule', RULE, '--jobs', jobs]));
  }
  for (const result of results) {
    expect(result.code).toBe(1); // the phantom failed
    // Not a terminal: one plain progress line per series, then the summary with the failure's reason.
    expect(result.stderr.match(/^process: \d\/4 series \(\d done, 0 skipped, \d failed\) [\d.]+ s: (done|failed) /gm)).toHaveLength(4);
    expect(result.stderr).toMatch(/^process: 4\/4 series \(3 done, 0 skipped, 1 failed\)/m);
    expect(result.stderr).toMatch(/^process: 3 done, 0 skipped, 1 failed in [\d.]+ s$/m);
    expect(result.stderr).toMatch(/failed 1\.2\.392\.\S+ \(harmonize-sharp-chest-ct\): irregular slice spacing/);
  }

  // The same files; derived DICOM equal but for the dates and times they were written.
  const [one, two] = outputs as [string, string];
  const names = (await readdir(one)).sort();
  expect((await readdir(two)).sort()).toEqual(names);
  const derivedDirs = names.filter((name) => name.endsWith(`.${RULE}`));
  expect(derivedDirs).toHaveLength(3);
  for (const dir of derivedDirs) {
    const files = (await readdir(path.join(one, dir))).sort();
    expect(files).toHaveLength(SLICES);
    expect((await readdir(path.join(two, dir))).sort()).toEqual(files);
    for (const file of files) {
      const [a, b] = [await comparable(path.join(one, dir, file)), await comparable(path.join(two, dir, file))];
      expect(b.pixels.equals(a.pixels)).toBe(true);
      expect(b.rest).toEqual(a.rest);
      expect(a.rest).toHaveProperty('SOPInstanceUID', file.replace(/\.dcm$/, ''));
    }
  }

  // Reports: one row per series and rule, in the folder's order whatever --jobs was.
  const reports = await Promise.all(outputs.map(async (output) => JSON.parse(await readFile(path.join(output, 'process-report.json'), 'utf8')) as { jobs: number; rows: Row[] }));
  const [rows1, rows2] = reports.map((report) => report.rows) as [Row[], Row[]];
  expect(rows1).toHaveLength(4);
  expect(rows1.every((row) => row.rule === RULE)).toBe(true);
  expect(rows1.map((row) => row.state).sort()).toEqual(['done', 'done', 'done', 'failed']);
  // Everything but the seconds (the steps' busy seconds too) is the same whatever --jobs was.
  const strip = (rows: Row[]) => rows.map(({ seriesInstanceUid, state, derivedSeriesInstanceUid, steps, quality }) => ({ seriesInstanceUid, state, derivedSeriesInstanceUid, steps: steps?.map(({ seconds: _, ...step }) => step), quality }));
  expect(strip(rows2)).toEqual(strip(rows1));
  for (const row of rows1.filter((r) => r.state === 'done')) {
    expect(derivedDirs).toContain(`${row.seriesInstanceUid}.${RULE}`);
    expect(row.steps![0]).toMatchObject({ kind: 'kernel-transfer', model: expect.any(String), seconds: expect.any(Number) });
    expect(row.quality!.noiseHu.before).toEqual(expect.any(Number));
  }
  expect(rows1.some((row) => row.steps?.[0]?.model === 'harmonize-v2-fold1@2.0.0')).toBe(true);
  expect(rows1.find((row) => row.state === 'failed')!.reason).toMatch(/irregular slice spacing/);

  const csv = (await readFile(path.join(two, 'process-report.csv'), 'utf8')).trimEnd().split('\r\n');
  expect(csv[0]).toMatch(/^study_instance_uid,series_instance_uid,rule,state,reason,/);
  expect(csv).toHaveLength(5);
  expect(csv.slice(1).map((line) => line.split(',')[3]).sort()).toEqual(['done', 'done', 'done', 'failed']);
}, 240_000);
