/**
 * Issue 10: training/ writes manifests and computes the Gaussian and SSIM the node's TypeScript
 * computes. These hold the two sides equal: the manifests training/manifest.py writes pass the JSON
 * Schema exported from the TypeScript schema (and that schema file is the current one), and the
 * Python Gaussian, SSIM and body weight give the TypeScript numbers on one slice. Debian's python3 with numpy and
 * scipy (scripts/install-test-deps.sh installs them).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bodyMask, bodyWeight } from '../../../src/imaging/body-mask.js';
import { gaussianSoften } from '../../../src/imaging/gaussian-soften.js';
import { memorySource } from '../../../src/imaging/memory-source.js';
import { ssim } from '../../../src/imaging/metrics.js';
import { manifestJsonSchema, parseManifest } from '../../../src/inference/manifest.js';
import { syntheticGeometry, syntheticVolume } from '../inference/helpers.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const Ajv2020 = createRequire(import.meta.url)('ajv/dist/2020').default as new (options: object) => {
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
};

describe('training/ and the node agree', () => {
  it('models/manifest.schema.json is the TypeScript manifest schema (npm run manifest-schema)', async () => {
    const committed = JSON.parse(await readFile(path.resolve('models/manifest.schema.json'), 'utf8'));
    expect(committed).toEqual(manifestJsonSchema());
  });

  it.each(['harmonize', 'harmonize-v3', 'superres'])('training/manifest.py writes a %s manifest the JSON Schema and the node accept', async (task) => {
    const { stdout } = await run(PYTHON, ['training/manifest.py', '--example', task]);
    const manifest = JSON.parse(stdout) as unknown;
    const validate = new Ajv2020({ strict: false }).compile(manifestJsonSchema());
    expect({ valid: validate(manifest), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
    expect(() => parseManifest(manifest, `${task} example`)).not.toThrow();
  });

  it('the Python Gaussian, SSIM and body weight give the TypeScript numbers on one slice', async () => {
    const [rows, columns, sigmaMm, spacingMm] = [48, 40, 1.3, 0.7];
    const [slice] = syntheticVolume(rows, columns, 1);
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'parity-')), 'slice.f32');
    await writeFile(file, Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength));
    const { stdout } = await run(PYTHON, ['training/node_filters.py', file, String(rows), String(columns), String(sigmaMm), String(spacingMm)], { maxBuffer: 1 << 24 });
    const python = JSON.parse(stdout) as { gaussian: number[]; ssim: number; bodyWeight: number[] };
    const geometry = { ...syntheticGeometry(rows, columns, 1, spacingMm) };
    const smooth = await gaussianSoften(memorySource(geometry, [slice]), { sigmaMm }).readSlice(0);
    const largest = smooth.reduce((max, v, i) => Math.max(max, Math.abs(v - python.gaussian[i])), 0);
    expect(largest).toBeLessThan(1e-2); // HU, float32 sums in a different order
    expect(Math.abs(ssim(slice, smooth, rows, columns) - python.ssim)).toBeLessThan(1e-5);
    // training/body_only_check.py decides a v3 model's bodyOnly with the Python body weight.
    const body = bodyWeight(bodyMask([slice], rows, columns)[0], rows, columns);
    expect(new Set(body).size).toBeGreaterThan(2); // the slice has body, air beyond it and the ramp between
    expect(Array.from(body, (v) => Number(v.toFixed(5)))).toEqual(python.bodyWeight.map((v) => Number(v.toFixed(5))));
  });
});
