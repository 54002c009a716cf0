import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { analyseGraph } from '../../../src/inference/onnx-analysis.js';
import { readOnnxGraph } from '../../../src/inference/onnx-graph.js';
import { writeOnnxModel } from '../../../src/inference/onnx-writer.js';
import { FIXTURE_MODELS } from './helpers.js';

async function graph(folder: string) {
  return readOnnxGraph(await readFile(path.join(folder, 'model.onnx')));
}

describe('ONNX graph analysis', () => {
  it('finds the receptive field each fixture was built with', async () => {
    expect(analyseGraph(await graph(path.join(FIXTURE_MODELS, 'test-2d-rf4')), [1, 1, 20, 20]).receptiveField).toEqual([4, 4]);
    expect(analyseGraph(await graph(path.join(FIXTURE_MODELS, 'test-3d-rf4x3')), [1, 1, 8, 20, 20]).receptiveField).toEqual([3, 4, 4]);
    expect(analyseGraph(await graph(path.join(FIXTURE_MODELS, 'test-sr2d-rf3')), [1, 1, 20, 20]).receptiveField).toEqual([3, 3]);
  });

  it('counts convolution FLOPs as 2 * Cin * Cout * k * k * Hout * Wout / groups', async () => {
    // test-2d-rf4: conv 1->6, conv 6->6, conv 6->1, all 3x3, same padding, on 1x1x20x20
    const expected = 2 * 9 * 400 * (1 * 6 + 6 * 6 + 6 * 1);
    const analysis = analyseGraph(await graph(path.join(FIXTURE_MODELS, 'test-2d-rf4')), [1, 1, 20, 20]);
    expect(analysis.flops).toBe(expected);
    expect(analysis.outputShape).toEqual([1, 1, 20, 20]);
    // batch 3 triples it; the SR model's last conv runs at twice the resolution
    expect(analyseGraph(await graph(path.join(FIXTURE_MODELS, 'test-2d-rf4')), [3, 1, 20, 20]).flops).toBe(3 * expected);
    const sr = analyseGraph(await graph(path.join(FIXTURE_MODELS, 'test-sr2d-rf3')), [1, 1, 20, 20]);
    expect(sr.flops).toBe(2 * 9 * (400 * (1 * 8 + 8 * 4) + 1600 * 1));
    expect(sr.outputShape).toEqual([1, 1, 40, 40]);
  });

  it('treats a Softmax across channels as per-voxel and refuses one across space', () => {
    const softmaxBetweenConvs = (axis: number | undefined) =>
      readOnnxGraph(
        writeOnnxModel({
          nodes: [
            { opType: 'Conv', inputs: ['input', 'w1'], outputs: ['a'], intsAttributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
            { opType: 'Softmax', inputs: ['a'], outputs: ['b'], ...(axis === undefined ? {} : { intAttributes: { axis } }) },
            { opType: 'Conv', inputs: ['b', 'w2'], outputs: ['output'], intsAttributes: { kernel_shape: [5, 5], pads: [2, 2, 2, 2] } },
          ],
          initializers: [
            { name: 'w1', dims: [4, 1, 3, 3], values: new Float32Array(36).fill(0.1) },
            { name: 'w2', dims: [1, 4, 5, 5], values: new Float32Array(100).fill(0.01) },
          ],
          inputs: [{ name: 'input', dims: ['N', 1, 'H', 'W'] }],
          outputs: [{ name: 'output', dims: ['N', 1, 'H', 'W'] }],
        }),
      );
    expect(analyseGraph(softmaxBetweenConvs(1), [1, 1, 16, 16]).receptiveField).toEqual([3, 3]);
    expect(() => analyseGraph(softmaxBetweenConvs(3), [1, 1, 16, 16])).toThrow(/Softmax across channels/);
    // ONNX's default axis is -1, the last spatial axis.
    expect(() => analyseGraph(softmaxBetweenConvs(undefined), [1, 1, 16, 16])).toThrow(/Softmax across channels/);
  });
});
