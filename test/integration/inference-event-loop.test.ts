import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInferenceEngine } from '../../src/inference/engine.js';
import { modelStep } from '../../src/jobs/steps/model.js';
import { memorySource, syntheticGeometry, syntheticVolume } from '../unit/inference/helpers.js';
import { applyStep } from '../helpers/apply-step.js';

/** Sends requests one after another until stopped; returns each one's latency in ms. */
async function pingUntil(port: number, done: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  while (!done()) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/' }, (res) => res.resume().on('end', resolve)).on('error', reject);
    });
    latencies.push(performance.now() - started);
  }
  return latencies;
}

describe('inference and the event loop', () => {
  it('keeps answering HTTP while a generator runs in the worker threads', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const engine = await createInferenceEngine({ modelRoots: [path.resolve(process.cwd(), 'models')], provider: 'cpu', threads: 2, workers: 1 });
    try {
      const context = { inference: engine };
      const step = await modelStep.create({ model: 'harmonize-resnet25d-random', allowUntrained: true }, context);
      const output = await applyStep(step, memorySource(syntheticVolume(512, 512, 3), syntheticGeometry(512, 512, 3)));
      let finished = false;
      const pings = pingUntil(port, () => finished);
      for (let i = 0; i < output.sliceCount; i++) await output.readSlice(i);
      finished = true;
      const latencies = await pings;
      const { seconds } = step.report?.() as { seconds: number };
      // Each of the 3 slabs takes about seconds / 3 of model time; a loop blocked by them would hold
      // one request per slab about that long. One slow answer is allowed: on this 2-core machine,
      // with the other test files running beside it, the scheduler once held one for 427 ms (of 628).
      expect(latencies.length).toBeGreaterThan(10);
      const halfSlabMs = (seconds / 3) * 1000 * 0.5;
      const slow = latencies.filter((ms) => ms >= halfSlabMs).map(Math.round);
      expect(slow.slice(1)).toEqual([]);
    } finally {
      await engine.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
