/**
 * Enhanced CT (one multi-frame object per series, geometry in functional groups), as newer scanners
 * send it: the node routes it on the kernel in its functional groups, loads its frames as the same
 * slices the CT Image files of that series give, and derives a CT Image series that dciodvfy accepts,
 * each slice referencing its source frame.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { writeDerivedSeries } from '../../src/derive/write-derived-series.js';
import { dcmjs, readPart10, toArrayBuffer } from '../../src/dicom/file/dcmjs.js';
import { openSeries } from '../../src/imaging/load-series.js';
import { readIndexHeader as readIngestHeader } from '../../src/dicom/file/index-header.js';
import { gaussianSoftenStep } from '../../src/jobs/steps/gaussian-soften.js';
import { runProcessFolder } from '../../src/jobs/process-folder.js';
import { writeEnhancedCt } from '../helpers/enhanced-ct.js';
import { applyStep } from '../helpers/apply-step.js';

const run = promisify(execFile);
const classicDir = resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
let workDir: string;
let enhancedFile: string;
let enhancedUid: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'enhanced-ct-'));
  enhancedFile = join(workDir, 'enhanced.dcm');
  enhancedUid = (await writeEnhancedCt(classicDir, enhancedFile)).sopInstanceUid;
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

it('ingest reads the routing tags from the functional groups', async () => {
  const header = await readIngestHeader(enhancedFile);
  expect(header.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.2.1');
  expect(header.seriesTags).toMatchObject({ ConvolutionKernel: 'B70f', SliceThickness: 8, Modality: 'CT', Rows: 512 });
  expect(header.seriesTags.PixelSpacing).toEqual([0.646484375, 0.646484375]);
});

it('loads the frames, sorted along the normal, as exactly the slices of the CT Image files', async () => {
  const classicFiles = (await readdir(classicDir)).filter((name) => name.endsWith('.dcm')).map((name) => join(classicDir, name));
  const classic = await openSeries(classicFiles);
  const enhanced = await openSeries([enhancedFile]);
  expect(enhanced.source.sliceCount).toBe(30);
  expect(enhanced.source.geometry).toEqual(classic.source.geometry);
  for (const index of [0, 13, 29]) {
    const [a, b] = [await enhanced.source.readSlice(index), await classic.source.readSlice(index)];
    expect(a.length).toBe(b.length);
    // Element by element (jest's toEqual on 262144 floats takes seconds).
    expect(a.findIndex((value, i) => value !== b[i])).toBe(-1);
  }
  // Frames were written in reverse order: the first slice along the normal is the last frame.
  expect(enhanced.instances[0]).toMatchObject({ sopInstanceUid: enhancedUid, frameNumber: 30 });
});

it('derives a CT Image series that dciodvfy accepts, each slice referencing its source frame', async () => {
  const source = await openSeries([enhancedFile]);
  const step = await gaussianSoftenStep.create(gaussianSoftenStep.options.parse({ sigmaMm: 1 }), {});
  const result = await writeDerivedSeries({
    source,
    output: await applyStep(step, source.source),
    outputDir: await mkdtemp(join(workDir, 'derived-')),
    uidRoot: '2.25',
    clock: () => new Date(2024, 0, 15, 10, 30, 0),
    steps: [{ label: step.label, derivation: step.derivation, generated: step.generated }],
  });
  expect(result.files).toHaveLength(30);
  const dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(readPart10(toArrayBuffer(await readFile(result.files[0]!))).dict);
  expect(dataset.SOPClassUID).toBe('1.2.840.10008.5.1.4.1.1.2');
  expect(dataset.NumberOfFrames).toBeUndefined();
  expect(dataset.SharedFunctionalGroupsSequence).toBeUndefined();
  const reference = (Array.isArray(dataset.SourceImageSequence) ? dataset.SourceImageSequence[0] : dataset.SourceImageSequence) as Record<string, unknown>;
  expect(reference).toMatchObject({ ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2.1', ReferencedSOPInstanceUID: enhancedUid, ReferencedFrameNumber: 30 });
  const check = await run('dciodvfy', [result.files[0]!]).catch((error: { stdout: string; stderr: string }) => error);
  expect(`${check.stdout}\n${check.stderr}`.split('\n').filter((line) => line.includes('Error'))).toEqual([]);
});

it('goes through the same rules as CT Image: the sharp-kernel rule of config/rules.json derives 30 slices', async () => {
  const input = await mkdtemp(join(workDir, 'in-'));
  await writeEnhancedCt(classicDir, join(input, 'enhanced.dcm'));
  const output = await mkdtemp(join(workDir, 'out-'));
  await runProcessFolder(input, output, { config: 'config/node.json' });
  const derived = (await readdir(output)).find((name) => name.endsWith('.harmonize-sharp-chest-ct'));
  expect(derived).toBeDefined();
  expect(await readdir(join(output, derived!))).toHaveLength(30);
});
