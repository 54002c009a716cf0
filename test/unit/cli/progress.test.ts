import { PassThrough } from 'node:stream';
import { startProgress } from '../../../src/cli/progress.js';

/** A stream that is not a terminal, collecting what is written. */
function plainStream(): { stream: NodeJS.WriteStream; text(): string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('progress off a terminal', () => {
  it('writes one line per finished item with the counts', () => {
    const out = plainStream();
    const progress = startProgress({ label: 'process', total: 2, unit: 'series', stream: out.stream });
    progress.advance('done', '1.2.3');
    progress.advance('failed', '1.2.4');
    progress.stop();
    expect(out.text()).toMatch(/^process: 1\/2 series \(1 done, 0 skipped, 0 failed\) [\d.]+ s: done 1\.2\.3\nprocess: 2\/2 series \(1 done, 0 skipped, 1 failed\) [\d.]+ s: failed 1\.2\.4\n$/);
  });

  it('says how far a long series is, at most once per interval, and nothing for a short one', async () => {
    const out = plainStream();
    const progress = startProgress({ label: 'process', total: 2, unit: 'series', stream: out.stream, sliceLineMs: 50 });
    progress.slices('1.2.3 rule', 1, 4); // too soon after the start
    progress.slices('1.2.3 rule', 4, 4); // a short series: nothing
    await new Promise((resolve) => setTimeout(resolve, 60));
    progress.slices('1.2.9 rule', 10, 269);
    progress.slices('1.2.9 rule', 11, 269); // within the interval: nothing
    progress.slices('1.2.9 rule', 269, 269); // the last slice of one that printed
    progress.stop();
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^process: 1\.2\.9 rule: 10\/269 slices, [\d.]+ s$/);
    expect(lines[1]).toMatch(/^process: 1\.2\.9 rule: 269\/269 slices/);
  });
});
