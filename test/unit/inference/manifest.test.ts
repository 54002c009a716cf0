import { mkdtemp, readFile, writeFile, mkdir, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../src/errors.js';
import { parseManifest } from '../../../src/inference/manifest.js';
import { loadModelFolder, openModelRegistry } from '../../../src/inference/registry.js';
import { FIXTURE_MODELS } from './helpers.js';

async function fixtureManifest(id: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(FIXTURE_MODELS, id, 'manifest.json'), 'utf8'));
}

describe('model manifest', () => {
  it('accepts every fixture manifest', async () => {
    const registry = await openModelRegistry([FIXTURE_MODELS]);
    expect(registry.ids()).toEqual(['test-25d-rf3', 'test-2d-rf4', 'test-3d-rf4x3', 'test-sr2d-rf3', 'test-sr3d-rf1']);
    expect(registry.getModel('test-sr2d-rf3').manifest.output.scale).toEqual({ inPlane: 2, z: 1 });
  });

  it('rejects a halo smaller than the receptive field when loaded', async () => {
    const json = await fixtureManifest('test-2d-rf4');
    const folder = path.join(await mkdtemp(path.join(os.tmpdir(), 'models-')), 'test-2d-rf4');
    await mkdir(folder);
    await copyFile(path.join(FIXTURE_MODELS, 'test-2d-rf4', 'model.onnx'), path.join(folder, 'model.onnx'));
    await writeFile(path.join(folder, 'manifest.json'), JSON.stringify({ ...json, halo: { inPlane: 3, z: 0 } }));
    const loading = loadModelFolder(folder);
    await expect(loading).rejects.toThrow(ConfigError);
    await expect(loadModelFolder(folder)).rejects.toThrow(/halo\.inPlane: halo 3 is smaller than the receptive field 4/);
    await expect(openModelRegistry([path.dirname(folder)])).rejects.toThrow(/receptive field/);
  });

  it('rejects a z halo smaller than the z receptive field of a 3d model', async () => {
    const json = await fixtureManifest('test-3d-rf4x3');
    expect(() => parseManifest({ ...json, halo: { inPlane: 4, z: 2 } }, 'm.json')).toThrow(/halo\.z: halo 2 is smaller than the receptive field 3 in z/);
  });

  it('names every failing key path', () => {
    expect(() => parseManifest({ id: 'x', task: 'denoise' }, 'bad.json')).toThrow(/bad\.json is invalid: .*task/);
  });

  it('refuses a 2.5d model without neighbour slices and a 2d model with a z scale', async () => {
    const flat = await fixtureManifest('test-25d-rf3');
    expect(() => parseManifest({ ...flat, neighbourSlices: 0 }, 'm.json')).toThrow(/neighbourSlices/);
    const sr = await fixtureManifest('test-sr2d-rf3');
    expect(() => parseManifest({ ...sr, output: { scale: { inPlane: 2, z: 2 } } }, 'm.json')).toThrow(/dimensionality/);
  });

  it('names the known models for an unknown id', async () => {
    const registry = await openModelRegistry([FIXTURE_MODELS]);
    expect(() => registry.getModel('nope')).toThrow(/unknown model nope; known models: test-25d-rf3/);
  });
});

describe('manifest against the ONNX graph', () => {
  async function folderWith(id: string, change: Record<string, unknown>): Promise<string> {
    const folder = path.join(await mkdtemp(path.join(os.tmpdir(), 'models-')), id);
    await mkdir(folder);
    await copyFile(path.join(FIXTURE_MODELS, id, 'model.onnx'), path.join(folder, 'model.onnx'));
    await writeFile(path.join(folder, 'manifest.json'), JSON.stringify({ ...(await fixtureManifest(id)), ...change }));
    return folder;
  }

  it('rejects a receptive field (and halo) understated below what the graph has', async () => {
    const folder = await folderWith('test-2d-rf4', { receptiveField: { inPlane: 3, z: 0 }, halo: { inPlane: 3, z: 0 } });
    await expect(loadModelFolder(folder)).rejects.toThrow(/graph has a receptive field of 4 px in-plane, 0 in z; the manifest declares 3, 0/);
  });

  it('rejects a 3d model whose z receptive field is understated', async () => {
    const folder = await folderWith('test-3d-rf4x3', { receptiveField: { inPlane: 4, z: 2 }, halo: { inPlane: 4, z: 2 } });
    await expect(loadModelFolder(folder)).rejects.toThrow(/3 in z; the manifest declares 4, 2/);
  });

  it('rejects a scale the graph does not have', async () => {
    const folder = await folderWith('test-sr2d-rf3', { output: { scale: { inPlane: 1, z: 1 } } });
    await expect(loadModelFolder(folder)).rejects.toThrow(/graph maps 32px tiles to 1x1x64x64, the manifest's scale expects 1x1x32x32/);
  });
});

describe('a refinement trained for one calibration', () => {
  const philips = { manufacturer: 'Philips', modelName: 'Brilliance16', sourceKernel: 'L', targetKernel: 'B' };
  const refinement = { status: 'trained', output: { kernelFamily: 'soft', scale: { inPlane: 1, z: 1 } }, normalization: { huWindow: [-1150, 1850], outsideWindow: { method: 'pass-through' } } };

  async function modelsRoot(models: Record<string, Record<string, unknown>>): Promise<string> {
    const root = await mkdtemp(path.join(os.tmpdir(), 'models-'));
    for (const [id, change] of Object.entries(models)) {
      await mkdir(path.join(root, id));
      await copyFile(path.join(FIXTURE_MODELS, 'test-25d-rf3', 'model.onnx'), path.join(root, id, 'model.onnx'));
      await writeFile(path.join(root, id, 'manifest.json'), JSON.stringify({ ...(await fixtureManifest('test-25d-rf3')), id, ...change }));
    }
    return root;
  }

  it('is found by its scanner and kernels, and by no other', async () => {
    const registry = await openModelRegistry([await modelsRoot({ 'v3-philips': { ...refinement, calibration: philips }, 'v3-any': refinement })]);
    expect(registry.forCalibration(philips)?.manifest.id).toBe('v3-philips');
    expect(registry.forCalibration({ ...philips, modelName: ' Brilliance16 ' })?.manifest.id).toBe('v3-philips');
    expect(registry.forCalibration({ ...philips, targetKernel: 'C' })).toBeUndefined();
    expect(registry.forCalibration({ ...philips, manufacturer: 'SIEMENS' })).toBeUndefined();
  });

  it('refuses two trained models for the same calibration, naming both', async () => {
    const root = await modelsRoot({ 'v3-a': { ...refinement, calibration: philips }, 'v3-b': { ...refinement, calibration: philips } });
    await expect(openModelRegistry([root])).rejects.toThrow(/models v3-a and v3-b are both trained for the calibration Philips Brilliance16 L->B: keep one/);
  });

  it('must be a refinement (a harmonizer that passes its input through outside its window)', async () => {
    const json = await fixtureManifest('test-25d-rf3');
    expect(() => parseManifest({ ...json, calibration: philips }, 'm.json')).toThrow(/calibration: only a harmonizer that refines a transfer/);
    expect(() => parseManifest({ ...json, ...refinement, calibration: { ...philips, sourceKernel: '' } }, 'm.json')).toThrow(/calibration\.sourceKernel/);
    expect(() => parseManifest({ ...json, ...refinement, refines: 'gaussian-soften', calibration: philips }, 'm.json')).toThrow(/refines: a model trained for a calibration refines/);
    expect(() => parseManifest({ ...json, ...refinement, refines: 'kernel-transfer', calibration: philips }, 'm.json')).not.toThrow();
  });

  it('passes its input through from aboveHu up only where that lies in its window', async () => {
    const json = { ...(await fixtureManifest('test-25d-rf3')), ...refinement };
    const through = (aboveHu: number) => ({ ...json, normalization: { huWindow: [-1150, 1850], outsideWindow: { method: 'pass-through', aboveHu } } });
    expect(parseManifest(through(500), 'm.json').normalization.outsideWindow).toEqual({ method: 'pass-through', aboveHu: 500 });
    expect(() => parseManifest(through(2000), 'm.json')).toThrow(/aboveHu 2000 must lie in the HU window \(-1150, 1850\]/);
  });
});
