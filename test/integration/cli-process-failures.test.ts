/**
 * ctprep process when part of a collection is broken: a series with a cut-off file fails with its
 * reason in the summary and the reports while the others finish, a file that is no image is left
 * out and said so, and a bad --jobs is refused before anything is written.
 */
import { access, cp, mkdir, mkdtemp, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ctprep } from '../helpers/ctprep.js';

const dataDir = path.resolve(process.cwd(), '../shared/data/ct');
/** The classical step: quick, and it runs on any series it is forced onto. */
const RULE = 'harmonize-sharp-chest-ct-gaussian';
const SLICES = 3;

interface Row {
  seriesInstanceUid: string;
  rule?: string;
  state: string;
  reason?: string;
  steps?: { kind: string; label: string; seconds?: number }[];
}

async function copySlices(series: string, into: string): Promise<string[]> {
  const files = (await readdir(path.join(dataDir, series))).sort().slice(0, SLICES);
  await mkdir(path.join(into, series));
  for (const file of files) await cp(path.join(dataDir, series, file), path.join(into, series, file));
  return files.map((file) => path.join(into, series, file));
}

it('process: a series with a cut-off file fails with its reason while the others finish; a file that is no image is left out and said so', async () => {
  const input = await mkdtemp(path.join(os.tmpdir(), 'ctprep-fail-in-'));
  const output = await mkdtemp(path.join(os.tmpdir(), 'ctprep-fail-out-'));
  await copySlices('lung-pet-ct-dx-A0002-siemens-B70f', input);
  await copySlices('lung-pet-ct-dx-A0001-philips-L', input);
  const [cut] = await copySlices('lung-pet-ct-dx-A0002-siemens-B40f', input);
  await truncate(cut!, Math.floor((await stat(cut!)).size / 2)); // its header reads, its pixels end early
  await writeFile(path.join(input, 'README.txt'), 'exported by a PACS\n');
  const prefix = path.join(output, 'reports', 'run');

  const result = await ctprep(['process', input, output, '--rule', RULE, '--jobs', '2', '--report', prefix]);

  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^process: 2 done, 0 skipped, 1 failed in [\d.]+ s$/m);
  expect(result.stderr).toMatch(new RegExp(`^  failed \\S+ \\(${RULE}\\): .*B40f.*the frame ends past the end of the file$`, 'm'));
  expect(result.stderr).toMatch(/^ {2}1 file\(s\) without a readable image left out .*README\.txt/m);
  expect(result.stderr).toMatch(/^process: \d\/3 series .*: done \S+ \(3 slices\); [\d.]+ series\/min, [\d.]+ slices\/s/m);
  expect(result.stderr).toMatch(`report: ${prefix}.csv, ${prefix}.json`);

  const report = JSON.parse(await readFile(`${prefix}.json`, 'utf8')) as { jobs: number; rows: Row[]; unreadableFiles: { file: string; reason: string }[] };
  expect(report.jobs).toBe(2);
  expect(report.unreadableFiles).toEqual([{ file: path.join(input, 'README.txt'), reason: expect.any(String) }]);
  expect(report.rows.map((row) => row.state).sort()).toEqual(['done', 'done', 'failed']);
  const failed = report.rows.find((row) => row.state === 'failed')!;
  expect(failed).toMatchObject({ rule: RULE, reason: expect.stringMatching(/the frame ends past the end of the file/) });
  for (const row of report.rows.filter((r) => r.state === 'done')) {
    expect(row.steps).toEqual([{ kind: 'gaussian-soften', label: expect.any(String), seconds: expect.any(Number) }]);
    expect((await readdir(path.join(output, `${row.seriesInstanceUid}.${RULE}`))).length).toBe(SLICES);
  }
  expect((await readFile(`${prefix}.csv`, 'utf8')).trimEnd().split('\r\n')).toHaveLength(4);
  await expect(access(path.join(output, 'process-report.json'))).rejects.toThrow(); // --report moved it

  // process-log.jsonl says the same as the report, one line per series and rule.
  const log = (await readFile(path.join(output, 'process-log.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { series: string; status: string; error?: string });
  expect(log.map(({ series, status }) => `${series} ${status}`).sort()).toEqual(report.rows.map((row) => `${row.seriesInstanceUid} ${row.state}`).sort());
  expect(log.find((entry) => entry.status === 'failed')!.error).toBe(failed.reason);
}, 120_000);

it.each(['0', 'two', '1.5'])('process: --jobs %s is refused before anything is written', async (jobs) => {
  const output = path.join(await mkdtemp(path.join(os.tmpdir(), 'ctprep-jobs-bad-')), 'out');
  const result = await ctprep(['process', dataDir, output, '--jobs', jobs]);
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(/option '--jobs <n>' argument .* is invalid\. expected a whole number 1-64/);
  await expect(access(output)).rejects.toThrow();
});
