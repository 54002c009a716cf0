import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InstanceFileWriter } from '../../../src/dicom/instance-file-writer.js';

describe('InstanceFileWriter', () => {
  let dir: string;
  let directorySyncs: number;
  const options = () => ({
    directory: dir,
    fileName: 'a.dcm',
    syncDirectory: async () => {
      directorySyncs++;
    },
    flushThresholdBytes: 64,
  });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'writer-'));
    directorySyncs = 0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes header and pieces in order, only under the final name once finished', async () => {
    const writer = new InstanceFileWriter(Buffer.from('HEAD'), options());
    const pieces = Array.from({ length: 50 }, (_, i) => Buffer.alloc(7 + (i % 5), i));
    for (const piece of pieces) writer.append(piece);
    await writer.whenWritten();
    expect(await readdir(dir)).toEqual(['a.dcm.part']);
    const file = await writer.finish();
    expect(file.path).toBe(path.join(dir, 'a.dcm'));
    expect(await readFile(file.path)).toEqual(Buffer.concat([Buffer.from('HEAD'), ...pieces]));
    expect(file.sizeBytes).toBe(4 + pieces.reduce((sum, p) => sum + p.length, 0));
    expect(await readdir(dir)).toEqual(['a.dcm']);
    expect(directorySyncs).toBe(1);
  });

  it('removes the file on discard, before or after finish', async () => {
    const early = new InstanceFileWriter(Buffer.from('HEAD'), options());
    early.append(Buffer.alloc(100));
    await early.discard();
    expect(await readdir(dir)).toEqual([]);
    const late = new InstanceFileWriter(Buffer.from('HEAD'), { ...options(), fileName: 'b.dcm' });
    await late.finish();
    await late.discard();
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports a failed open from finish and leaves nothing behind', async () => {
    const writer = new InstanceFileWriter(Buffer.from('HEAD'), { ...options(), directory: path.join(dir, 'missing') });
    writer.append(Buffer.alloc(1000));
    await expect(writer.finish()).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual([]);
  });
});
