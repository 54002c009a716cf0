import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openSpool } from '../../../src/ingest/spool.js';

describe('spool', () => {
  it('moves an incoming file to <series>/<sop>.dcm and replaces it on resend', async () => {
    const spool = await openSpool(await mkdtemp(path.join(os.tmpdir(), 'ctprep-spool-')));
    const first = path.join(spool.incomingDir, 'a.part');
    await writeFile(first, 'first');
    const finalPath = await spool.accept(first, { seriesInstanceUid: '1.2.3', sopInstanceUid: '1.2.3.4' });
    expect(finalPath).toBe(path.join(spool.seriesDir('1.2.3'), '1.2.3.4.dcm'));
    const resent = path.join(spool.incomingDir, 'b.part');
    await writeFile(resent, 'second');
    await spool.accept(resent, { seriesInstanceUid: '1.2.3', sopInstanceUid: '1.2.3.4' });
    expect(await readFile(finalPath, 'utf8')).toBe('second');
    expect(await readdir(spool.incomingDir)).toEqual([]);
  });

  it('refuses UIDs that could escape the spool folder', async () => {
    const spool = await openSpool(await mkdtemp(path.join(os.tmpdir(), 'ctprep-spool-')));
    const file = path.join(spool.incomingDir, 'x.part');
    await writeFile(file, 'x');
    await expect(spool.accept(file, { seriesInstanceUid: '../../etc', sopInstanceUid: '1.2' })).rejects.toThrow(/not a valid UID/);
  });
});
