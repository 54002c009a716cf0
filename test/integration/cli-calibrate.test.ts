/**
 * ctprep calibrate on a folder holding a natural pair, then ctprep process with a kernel-transfer
 * rule that reads the written calibration: the way a research archive calibrates its own scanners.
 */
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { calibrationSchema } from '../../src/calibrate/calibration.js';
import { readImageHeaders } from '../../src/dicom/file/image-headers.js';
import { ctprep } from '../helpers/ctprep.js';

const dataDir = path.resolve(process.cwd(), '../shared/data/ct');

it('calibrate writes each natural pair as JSON, refuses the others with their reason, and process applies it', async () => {
  const input = await mkdtemp(path.join(os.tmpdir(), 'ctprep-calibrate-in-'));
  const work = await mkdtemp(path.join(os.tmpdir(), 'ctprep-calibrate-'));
  for (const series of ['lung-pet-ct-dx-A0002-siemens-B70f', 'lung-pet-ct-dx-A0002-siemens-B40f', 'toshiba-phantom-FC51', 'toshiba-phantom-FC13']) {
    await cp(path.join(dataDir, series), path.join(input, series), { recursive: true });
  }
  const calibrations = path.join(work, 'calibrations');
  const calibrated = await ctprep(['calibrate', input, '--out', calibrations]);
  expect(calibrated.stderr).toBe('');
  expect(calibrated.code).toBe(0);
  expect(calibrated.stdout).toMatch(/B70f -> B40f fitted on \d+ slices \(frame-of-reference\); on \d+ held-back slices MAE [\d.]+ -> [\d.]+ HU/);
  expect(calibrated.stdout).toMatch(/FC51 -> FC13 fitted on \d+ slices \(acquisition\)/);
  const files = (await readdir(calibrations)).sort();
  expect(files).toHaveLength(2);
  const siemens = calibrationSchema.parse(JSON.parse(await readFile(path.join(calibrations, files.find((f) => f.includes('B70f'))!), 'utf8')));
  expect(siemens).toMatchObject({ scanner: { manufacturer: 'SIEMENS' }, sourceKernel: 'B70f', targetKernel: 'B40f' });
  expect(siemens.fitQuality.transfer!.maeHu).toBeLessThan(siemens.fitQuality.input!.maeHu / 3);

  const rules = path.join(work, 'rules.json');
  await writeFile(rules, JSON.stringify({ rules: [{ id: 'kt', name: 'kernel transfer', enabled: true, priority: 1, match: { modality: 'CT', convolutionKernel: { equals: 'B70f' } }, steps: [{ kind: 'kernel-transfer', options: { targetKernel: 'B40f' } }], destinations: ['pacs'] }] }));
  const config = path.join(work, 'node.json');
  await writeFile(config, JSON.stringify({ rulesFile: rules, calibrationsDir: calibrations, dataDir: path.join(work, 'var') }));
  const output = path.join(work, 'out');
  const processed = await ctprep(['process', input, output, '--config', config]);
  expectOnlyProgress(processed.stderr);
  expect(processed.code).toBe(0);
  expect(processed.stdout).toMatch(/rule kt -> 30 files/);
  const derived = (await readdir(output)).filter((name) => name.endsWith('.kt'));
  expect(derived).toHaveLength(1);
  const first = (await readdir(path.join(output, derived[0]!)))[0]!;
  const [image] = await readImageHeaders(path.join(output, derived[0]!, first));
  expect(String(image!.header.DerivationDescription)).toContain(`calibration ${siemens.id.slice(0, 8)}`);
}, 180_000);

it('process runs the rule\'s fallback step where no calibration matches, and says so in the derived series', async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'ctprep-fallback-'));
  const input = path.join(work, 'in');
  await cp(path.join(dataDir, 'lung-pet-ct-dx-A0002-siemens-B70f'), path.join(input, 'b70f'), { recursive: true });
  const rules = path.join(work, 'rules.json');
  const fallback = { kind: 'gaussian-soften', options: { sigmaMm: 0.6 } };
  await writeFile(rules, JSON.stringify({ rules: [{ id: 'kt', name: 'kernel transfer', match: { modality: 'CT' }, steps: [{ kind: 'kernel-transfer', options: { fallback } }], destinations: ['pacs'] }] }));
  const config = path.join(work, 'node.json');
  await writeFile(config, JSON.stringify({ rulesFile: rules, calibrationsDir: path.join(work, 'none'), dataDir: path.join(work, 'var') }));
  const processed = await ctprep(['process', input, path.join(work, 'out'), '--config', config]);
  expectOnlyProgress(processed.stderr);
  expect(processed.stdout).toMatch(/rule kt -> 30 files/);
  const folder = path.join(work, 'out', (await readdir(path.join(work, 'out'))).find((name) => name.endsWith('.kt'))!);
  const [image] = await readImageHeaders(path.join(folder, (await readdir(folder))[0]!));
  expect(String(image!.header.DerivationDescription)).toMatch(/Gaussian .*\(no kernel calibration of this scanner: fallback\)/);
});

it('calibrate says why when a folder has no natural pair, and exits 1', async () => {
  const input = await mkdtemp(path.join(os.tmpdir(), 'ctprep-calibrate-none-'));
  await cp(path.join(dataDir, 'lung-pet-ct-dx-A0002-siemens-B70f'), path.join(input, 'a'), { recursive: true });
  await cp(path.join(dataDir, 'toshiba-phantom-FC51'), path.join(input, 'b'), { recursive: true });
  const result = await ctprep(['calibrate', input, '--out', path.join(input, 'out')]);
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/no natural pair found/);
});

/** stderr holds progress, the summary and where the reports are: no warning, no error. */
function expectOnlyProgress(stderr: string): void {
  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.filter((line) => !/^(process[: ]|  report: )/.test(line))).toEqual([]);
}
