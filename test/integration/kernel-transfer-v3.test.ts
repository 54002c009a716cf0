/**
 * Generator v3 in the node: a sharp series runs through the calibrated kernel transfer and then v3
 * (the kernel-transfer step's refine option), and the derived series says so; a series without a
 * calibration gets the fallback and no v3; with refine "per-calibration" each scanner gets the v3
 * trained for its own calibration, and a scanner without one the transfer alone.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readImageHeaders } from '../../src/dicom/file/image-headers.js';
import { bodyMask, bodyWeight } from '../../src/imaging/body-mask.js';
import { openSeries } from '../../src/imaging/load-series.js';
import { ctprep } from '../helpers/ctprep.js';

const dataDir = path.resolve(process.cwd(), '../shared/data/ct');
const V3 = 'harmonize-v3-cranial';
/** Four neighbouring Philips L slices with dense bone above v3's window (up to 165 voxels > 1950 HU each). */
const SERIES = 'lung-pet-ct-dx-A0001-philips-L';
const SLICES = ['1-02.dcm', '1-03.dcm', '1-04.dcm', '1-05.dcm'];

/** The DerivationDescription of each derived series that `process` wrote to `output` for the rule `ruleId`. */
async function provenancesIn(output: string, ruleId: string): Promise<string[]> {
  const provenances: string[] = [];
  for (const folder of (await readdir(output)).filter((name) => name.endsWith(`.${ruleId}`))) {
    const [image] = await readImageHeaders(path.join(output, folder, (await readdir(path.join(output, folder)))[0]!));
    provenances.push(String(image!.header.DerivationDescription));
  }
  return provenances;
}

async function derivedSlices(folder: string): Promise<Float32Array[]> {
  const files = (await readdir(folder)).map((name) => path.join(folder, name));
  const { source } = await openSeries(files);
  return Promise.all(Array.from({ length: source.sliceCount }, (_, i) => source.readSlice(i)));
}

/**
 * Runs `ctprep process` on four slices of `series` with two rules, the transfer alone (`kt`) and the
 * transfer refined by `model` (`v3`); returns the output folder of each derived series.
 */
async function transferAndRefined(series: string, model: string, transferOptions: object) {
  const work = await mkdtemp(path.join(os.tmpdir(), 'ctprep-v3-'));
  const input = path.join(work, 'in', 'sharp');
  for (const name of SLICES) await cp(path.join(dataDir, series, name), path.join(input, name));
  const transfer = { kind: 'kernel-transfer', options: transferOptions };
  const refined = { kind: 'kernel-transfer', options: { ...transferOptions, refine: { kind: 'model', options: { model } } } };
  const rule = (id: string, step: object) => ({ id, name: id, match: { modality: 'CT' }, steps: [step], destinations: ['pacs'] });
  const rules = path.join(work, 'rules.json');
  await writeFile(rules, JSON.stringify({ rules: [rule('kt', transfer), rule('v3', refined)] }));
  const config = path.join(work, 'node.json');
  await writeFile(config, JSON.stringify({ rulesFile: rules, calibrationsDir: path.resolve('config/calibrations'), dataDir: path.join(work, 'var') }));
  const output = path.join(work, 'out');
  const processed = await ctprep(['process', path.join(work, 'in'), output, '--config', config]);
  expect(processed.code).toBe(0);
  expect(processed.stdout).toMatch(/rule v3 -> 4 files/);
  const folderOf = async (suffix: string) => path.join(output, (await readdir(output)).find((name) => name.endsWith(suffix))!);
  return { kt: await folderOf('.kt'), v3: await folderOf('.v3') };
}

it('runs kernel-transfer then v3 where a calibration exists, names both in the derived series, and keeps HU outside the model window', async () => {
  const folders = await transferAndRefined(SERIES, V3, { targetKernel: 'B' });
  const v3Folder = folders.v3;
  const [image] = await readImageHeaders(path.join(v3Folder, (await readdir(v3Folder))[0]!));
  const provenance = String(image!.header.DerivationDescription);
  expect(provenance).toMatch(/Kernel transfer Philips .* L->B .*then refined: Kernel harmonization by model harmonize-v3-cranial@3\.\d+\.\d+/);
  expect(provenance).toContain('outside it and from 500 HU up its input unchanged');
  expect(String(image!.header.SeriesDescription)).toContain('SOFT-V3');

  // v3 changes the transfer's output a little inside its window, and above 500 HU hands the transfer's on.
  const [kt, v3] = [await derivedSlices(folders.kt), await derivedSlices(v3Folder)];
  let changed = 0;
  let inside = 0;
  let aboveWindowDiff = 0;
  let aboveWindow = 0;
  kt.forEach((slice, s) =>
    slice.forEach((value, i) => {
      const difference = Math.abs(v3[s][i] - value);
      if (value > -1000 && value < 1000) {
        inside += 1;
        if (difference > 1) changed += 1;
      }
      if (value > 1950) {
        aboveWindow += 1;
        aboveWindowDiff = Math.max(aboveWindowDiff, difference);
      }
    }),
  );
  expect(changed / inside).toBeGreaterThan(0.05);
  expect(aboveWindow).toBeGreaterThan(20);
  expect(aboveWindowDiff).toBeLessThanOrEqual(1); // stored as whole HU
  // Nothing piles up at an edge of v3's HU window [-1150, 1850] where the transfer's output does not.
  const atEdges = (slices: Float32Array[]) => slices.reduce((n, slice) => n + slice.filter((v) => Math.abs(v + 1150) <= 1 || Math.abs(v - 1850) <= 1).length, 0);
  expect(atEdges(v3)).toBeLessThanOrEqual(atEdges(kt) + 10);
}, 120_000);

it('never runs v3 after the fallback: without a calibration the series gets the fallback alone', async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'ctprep-v3-fallback-'));
  const input = path.join(work, 'in', 'sharp');
  for (const name of SLICES) await cp(path.join(dataDir, SERIES, name), path.join(input, name));
  const step = { kind: 'kernel-transfer', options: { refine: { kind: 'model', options: { model: V3 } }, fallback: { kind: 'gaussian-soften', options: { sigmaMm: 0.6 } } } };
  const rules = path.join(work, 'rules.json');
  await writeFile(rules, JSON.stringify({ rules: [{ id: 'v3', name: 'v3', match: { modality: 'CT' }, steps: [step], destinations: ['pacs'] }] }));
  const config = path.join(work, 'node.json');
  await writeFile(config, JSON.stringify({ rulesFile: rules, calibrationsDir: path.join(work, 'none'), dataDir: path.join(work, 'var') }));
  const output = path.join(work, 'out');
  const processed = await ctprep(['process', path.join(work, 'in'), output, '--config', config]);
  expect(processed.code).toBe(0);
  const folder = path.join(output, (await readdir(output)).find((name) => name.endsWith('.v3'))!);
  const [image] = await readImageHeaders(path.join(folder, (await readdir(folder))[0]!));
  const provenance = String(image!.header.DerivationDescription);
  expect(provenance).toMatch(/Gaussian .*\(no kernel calibration of this scanner: fallback\)/);
  expect(provenance).not.toContain('harmonize-v3');
}, 60_000);

it('refine "per-calibration" runs the v3 trained for the series\' own calibration, and on a scanner without one the transfer alone', async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'ctprep-v3-per-calibration-'));
  for (const name of SLICES) await cp(path.join(dataDir, SERIES, name), path.join(work, 'in', 'philips', name));
  for (const name of SLICES) await cp(path.join(dataDir, 'lung-pet-ct-dx-A0002-siemens-B70f', name), path.join(work, 'in', 'siemens', name));
  // A v3 installed for the Philips calibration only (as train_harmonize_v3.py --split whole writes it).
  const models = path.join(work, 'models');
  const id = 'harmonize-v3-philips-site';
  await mkdir(path.join(models, id), { recursive: true });
  await cp(path.join('models', V3, 'model.onnx'), path.join(models, id, 'model.onnx'));
  const manifest = JSON.parse(await readFile(path.join('models', V3, 'manifest.json'), 'utf8'));
  const calibration = { manufacturer: 'Philips', modelName: 'Brilliance16', sourceKernel: 'L', targetKernel: 'B' };
  await writeFile(path.join(models, id, 'manifest.json'), JSON.stringify({ ...manifest, id, calibration }));
  const step = { kind: 'kernel-transfer', options: { refine: 'per-calibration' } };
  const rules = path.join(work, 'rules.json');
  await writeFile(rules, JSON.stringify({ rules: [{ id: 'h', name: 'h', match: { modality: 'CT' }, steps: [step], destinations: ['pacs'] }] }));
  const config = path.join(work, 'node.json');
  await writeFile(config, JSON.stringify({ rulesFile: rules, calibrationsDir: path.resolve('config/calibrations'), dataDir: path.join(work, 'var'), inference: { modelsDir: models } }));
  const output = path.join(work, 'out');
  const processed = await ctprep(['process', path.join(work, 'in'), output, '--config', config]);
  expect(processed.code).toBe(0);
  const provenances = await provenancesIn(output, 'h');
  expect(provenances).toHaveLength(2);
  const philips = provenances.find((text) => text.includes('Kernel transfer Philips'));
  const siemens = provenances.find((text) => text.includes('Kernel transfer SIEMENS'));
  expect(philips).toMatch(/Kernel transfer Philips Brilliance16 L->B .*then refined: Kernel harmonization by model harmonize-v3-philips-site@/);
  expect(siemens).toMatch(/Kernel transfer SIEMENS Sensation 10 B70f->B40f .*not a trained model; no generator v3 trained for this calibration is installed/);
  expect(siemens).not.toContain('harmonize-v3');

  // A series the installed model does not accept (here: it says it takes 1024 x 1024 only) gets the transfer alone, and says why.
  await writeFile(path.join(models, id, 'manifest.json'), JSON.stringify({ ...manifest, id, calibration, accepts: { ...manifest.accepts, matrixSizes: [[1024, 1024]] } }));
  const refused = await ctprep(['process', path.join(work, 'in', 'philips'), path.join(work, 'out-refused'), '--config', config]);
  expect(refused.code).toBe(0);
  const folder = (await readdir(path.join(work, 'out-refused'))).find((name) => name.endsWith('.h'))!;
  const [image] = await readImageHeaders(path.join(work, 'out-refused', folder, (await readdir(path.join(work, 'out-refused', folder)))[0]!));
  expect(String(image!.header.DerivationDescription)).toMatch(/not a trained model; the generator v3 of this calibration, harmonize-v3-philips-site, does not accept this series: .*512/);
}, 120_000);

it('a v3 with bodyOnly corrects inside the patient only: the air around the patient is the transfer\'s, and the derived series says so', async () => {
  const model = 'harmonize-v3-a0002-caudal'; // bodyOnly: training/body_only_check.py chose it on its calibration half
  const folders = await transferAndRefined('lung-pet-ct-dx-A0002-siemens-B70f', model, {});
  const v3Folder = folders.v3;
  const [image] = await readImageHeaders(path.join(v3Folder, (await readdir(v3Folder))[0]!));
  expect(String(image!.header.DerivationDescription)).toContain(`${model}@`);
  expect(String(image!.header.DerivationDescription)).toContain('outside the body too');

  const [kt, v3] = [await derivedSlices(folders.kt), await derivedSlices(v3Folder)];
  const { rows, columns } = (await openSeries((await readdir(v3Folder)).map((name) => path.join(v3Folder, name)))).source.geometry;
  let outsideChanged = 0;
  let outside = 0;
  let insideChanged = 0;
  let inside = 0;
  kt.forEach((slice, s) => {
    const weight = bodyWeight(bodyMask([slice], rows, columns)[0], rows, columns);
    slice.forEach((value, i) => {
      const changed = Math.abs(v3[s][i] - value) > 1; // stored as whole HU
      if (weight[i] === 0) [outside, outsideChanged] = [outside + 1, outsideChanged + (changed ? 1 : 0)];
      if (weight[i] === 1 && value > -1000 && value < 400) [inside, insideChanged] = [inside + 1, insideChanged + (changed ? 1 : 0)];
    });
  });
  expect(outside).toBeGreaterThan(0.2 * kt.length * rows * columns);
  expect(outsideChanged).toBe(0);
  expect(insideChanged / inside).toBeGreaterThan(0.05);
}, 120_000);

it("out of the box, the shipped rules run the shipped v3 of the Philips and Siemens calibrations, and none is shipped for the Toshiba phantom's", async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'ctprep-v3-shipped-'));
  for (const name of SLICES) await cp(path.join(dataDir, SERIES, name), path.join(work, 'in', 'philips', name));
  for (const name of SLICES) await cp(path.join(dataDir, 'lung-pet-ct-dx-A0002-siemens-B70f', name), path.join(work, 'in', 'siemens', name));
  // The shipped rules as they are: the Siemens series says CHEST in BodyPartExamined, the Philips one chest in its ProtocolName.
  const config = path.join(work, 'node.json');
  await writeFile(config, JSON.stringify({ rulesFile: path.resolve('config/rules.json'), calibrationsDir: path.resolve('config/calibrations'), dataDir: path.join(work, 'var'), inference: { modelsDir: path.resolve('models') } }));
  const output = path.join(work, 'out');
  const processed = await ctprep(['process', path.join(work, 'in'), output, '--config', config]);
  expect(processed.code).toBe(0);
  const provenances = await provenancesIn(output, 'harmonize-sharp-chest-ct');
  expect(provenances).toHaveLength(2);
  expect(provenances.find((text) => text.includes('Kernel transfer Philips'))).toMatch(/then refined: Kernel harmonization by model harmonize-v3-philips-brilliance16-l-to-b@/);
  expect(provenances.find((text) => text.includes('Kernel transfer SIEMENS'))).toMatch(/then refined: Kernel harmonization by model harmonize-v3-siemens-sensation10-b70f-to-b40f@/);

  // Every shipped calibration is either refined by exactly one shipped v3 or has none on purpose (Toshiba: a 4-slice phantom pair).
  const manifests = await Promise.all((await readdir('models')).filter((id) => id.startsWith('harmonize-v3-')).map(async (id) => JSON.parse(await readFile(path.join('models', id, 'manifest.json'), 'utf8'))));
  const calibrated = manifests.filter((manifest) => manifest.calibration).map((manifest) => `${manifest.calibration.manufacturer} ${manifest.calibration.modelName} ${manifest.calibration.sourceKernel}->${manifest.calibration.targetKernel}`);
  expect(calibrated.sort()).toEqual(['Philips Brilliance16 L->B', 'SIEMENS Sensation 10 B70f->B40f']);
}, 120_000);
