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
    expect(out.text()).toMatch(/^process: 1\/2 series \(1 done, 0 skipped, 0 failed\) [\d.]+ s: done 1\.2\.3; [\d.]+ series\/min, ETA \d+ s\nprocess: 2\/2 series \(1 done, 0 skipped, 1 failed\) [\d.]+ s: failed 1\.2\.4; [\d.]+ series\/min\n$/);
  });

  it('adds the slices of a finished item and a slices/s rate when told how many it held', () => {
    const out = plainStream();
    const progress = startProgress({ label: 'process', total: 3, unit: 'series', stream: out.stream });
    progress.advance('skipped', '1.2.3');
    progress.advance('done', '1.2.4', 30);
    progress.stop();
    const lines = out.text().trim().split('\n');
    expect(lines[0]).not.toMatch(/slices/);
    expect(lines[1]).toMatch(/^process: 2\/3 series \(1 done, 1 skipped, 0 failed\) [\d.]+ s: done 1\.2\.4 \(30 slices\); [\d.]+ series\/min, [\d.]+ slices\/s, ETA \d+ s$/);
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

describe('progress on a terminal', () => {
  /** What cli-progress sees as a terminal (it moves the cursor with escape codes written to the stream). */
  function terminalStream(): { stream: NodeJS.WriteStream; text(): string } {
    const plain = plainStream();
    Object.assign(plain.stream, { isTTY: true, columns: 160, rows: 40 });
    return plain;
  }

  it('draws a bar with done/total, skipped, failed, rate and ETA, and a bar per series in progress', () => {
    const out = terminalStream();
    const progress = startProgress({ label: 'process', total: 3, unit: 'series', stream: out.stream });
    progress.slices('1.2.9 rule', 5, 269);
    progress.advance('skipped', '1.2.3');
    progress.advance('failed', '1.2.4');
    progress.stop();
    // Strip the cursor movements; what is left are the bars as drawn.
    const drawn = out.text().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '\n');
    expect(drawn).toMatch(/1\.2\.9 rule \[.*\] 5\/269 slices/);
    expect(drawn).toMatch(/process \[.*\] 2\/3 series \| 1 skipped \| 1 failed \| [\d.]+ series\/min \| ETA /);
  });
});
