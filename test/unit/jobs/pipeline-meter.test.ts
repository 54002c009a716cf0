import { PipelineMeter } from '../../../src/jobs/pipeline-meter.js';
import type { SliceSource } from '../../../src/imaging/slice-source.js';

const geometry = { rows: 2, columns: 2 } as SliceSource['geometry'];

/** A stage whose reads first read its input (if any), then wait until the test says its own work is done. */
function stage(input?: SliceSource): SliceSource & { finish(value?: Error): void } {
  const waiting: ((error?: Error) => void)[] = [];
  return {
    geometry,
    sliceCount: 4,
    async readSlice(index) {
      if (input) await input.readSlice(index);
      await new Promise<void>((resolve, reject) => waiting.push((error) => (error ? reject(error) : resolve())));
      return new Float32Array(4);
    },
    finish(error?: Error) {
      waiting.shift()?.(error);
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PipelineMeter', () => {
  it('charges each stage the time it worked on its own, not the time it waited for its input', async () => {
    let now = 0;
    const meter = new PipelineMeter(() => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, now)), () => now);
    const loaded = stage();
    const steps = [loaded];
    const wrapped = [meter.wrap(loaded)];
    for (let k = 1; k <= 2; k++) {
      steps.push(stage(wrapped[k - 1]));
      wrapped.push(meter.wrap(steps[k]));
    }
    const read = wrapped[2].readSlice(0);
    await settle();
    for (const [at, k] of [[5000, 0], [8000, 1], [10_000, 2]] as const) {
      now = at;
      steps[k].finish();
      await settle();
    }
    await read;
    now = 12_000; // the writer's own time afterwards is nobody's
    expect([0, 1, 2].map((k) => meter.timing(k).busySeconds)).toEqual([5, 3, 2]);
    expect(meter.timing(1).lastSliceAt).toEqual(new Date(Date.UTC(2026, 0, 1, 0, 0, 8)));
    expect(meter.failedStage()).toBeUndefined();
  });

  it('names the deepest stage a failure came from, though it surfaced at the last', async () => {
    const meter = new PipelineMeter(() => new Date());
    const loaded = stage();
    const first = stage(meter.wrap(loaded));
    const read = meter.wrap(first).readSlice(0);
    await settle();
    loaded.finish();
    await settle();
    first.finish(new Error('no calibration'));
    await expect(read).rejects.toThrow('no calibration');
    expect(meter.failedStage()).toBe(1);
  });
});
