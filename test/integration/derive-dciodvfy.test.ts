import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { writeDerivedSeries } from '../../src/derive/write-derived-series.js';
import { dcmjs, readPart10, toArrayBuffer } from '../../src/dicom/file/dcmjs.js';
import { openSeries, type LoadedSeries } from '../../src/imaging/load-series.js';
import type { SliceSource } from '../../src/imaging/slice-source.js';
import { bicubicUpsampleStep } from '../../src/jobs/steps/bicubic-upsample.js';
import { gaussianSoftenStep } from '../../src/jobs/steps/gaussian-soften.js';
import type { Step } from '../../src/jobs/steps/step.js';
import { applyStep } from '../helpers/apply-step.js';

const run = promisify(execFile);
const dataDir = resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
const clock = () => new Date(2024, 0, 15, 10, 30, 0);

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'derive-dciodvfy-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** dciodvfy prints its findings on stderr; any line with "Error" fails the file. */
async function dciodvfyErrors(file: string): Promise<string[]> {
  const result = await run('dciodvfy', [file]).catch((error: { stdout: string; stderr: string }) => error);
  return `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.includes('Error'));
}

async function derive(source: LoadedSeries, step: Step, name: string) {
  const output = await applyStep(step, source.source);
  const result = await writeDerivedSeries({
    source,
    output,
    outputDir: await mkdtemp(join(workDir, `${name}-`)),
    uidRoot: '2.25',
    clock,
    steps: [{ label: step.label, derivation: step.derivation, generated: step.generated }],
  });
  return { output, result };
}

async function checkFiles(files: string[], source: LoadedSeries, output: SliceSource, label: string): Promise<void> {
  const errors: string[] = [];
  for (const file of files) errors.push(...(await dciodvfyErrors(file)).map((line) => `${file}: ${line}`));
  expect(errors).toEqual([]);
  const reread = await openSeries(files);
  expect(reread.source.geometry).toEqual(output.geometry);
  for (const [i, file] of files.entries()) {
    const d = dcmjs.data.DicomMetaDictionary.naturalizeDataset(readPart10(toArrayBuffer(await readFile(file))).dict);
    const from = source.instances[i];
    expect(d.ImageType).toEqual(['DERIVED', 'SECONDARY', 'AXIAL']);
    expect(d.StudyInstanceUID).toBe(from.header.StudyInstanceUID);
    expect(d.SeriesDescription).toBe(`${String(from.header.SeriesDescription)} [${label}]`);
    expect(d.ImageComments).toMatch(/not for primary diagnosis/);
    expect((d.SourceImageSequence as Record<string, unknown>[])[0].ReferencedSOPInstanceUID).toBe(from.sopInstanceUid);
    expect(d.InstanceNumber).toBe(i + 1);
    // Pixels: the written HU equal the step's HU rounded to whole stored values and clamped.
    const expected = await output.readSlice(i);
    const written = await reread.source.readSlice(i);
    let worst = 0;
    for (let k = 0; k < expected.length; k++) {
      const clamped = expected[k] < -1024 ? -1024 : expected[k] > 3071 ? 3071 : expected[k];
      const error = written[k] > clamped ? written[k] - clamped : clamped - written[k];
      if (error > worst) worst = error;
    }
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
  }
}

describe('derived series pass dciodvfy', () => {
  it('the source files themselves have no dciodvfy errors', async () => {
    const first = join(dataDir, (await readdir(dataDir)).sort()[0]);
    expect(await dciodvfyErrors(first)).toEqual([]);
  });

  it('Gaussian step over the whole B70f series', async () => {
    const files = (await readdir(dataDir)).map((name) => join(dataDir, name));
    const source = await openSeries(files);
    expect(source.source.sliceCount).toBe(30);
    const step = await gaussianSoftenStep.create(gaussianSoftenStep.options.parse({}), {});
    const { output, result } = await derive(source, step, 'gauss');
    expect(result.files).toHaveLength(30);
    await checkFiles(result.files, source, output, step.label);
  });

  it('bicubic step over a few slices', async () => {
    const files = ['1-10.dcm', '1-11.dcm', '1-12.dcm'].map((name) => join(dataDir, name));
    const source = await openSeries(files);
    const step = await bicubicUpsampleStep.create(bicubicUpsampleStep.options.parse({}), {});
    const { output, result } = await derive(source, step, 'sr');
    expect(output.geometry.rows).toBe(1024);
    await checkFiles(result.files, source, output, step.label);
  });
});
