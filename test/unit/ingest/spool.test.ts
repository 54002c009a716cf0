import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openSpool } from '../../../src/ingest/spool.js';

async function tempSpool() {
  return openSpool(await mkdtemp(path.join(os.tmpdir(), 'ctprep-spool-')));
}

describe('spool', () => {
  it('places an instance at series/<series UID>/<SOP UID>.dcm and replaces it on resend', async () => {
    const spool = await tempSpool();
    const place = spool.placeFor({ seriesInstanceUid: '1.2.3', sopInstanceUid: '1.2.3.4' });
    expect(place).toBe(path.join(spool.seriesDir('1.2.3'), '1.2.3.4.dcm'));
    const first = path.join(spool.incomingDir, 'a-1.dcm');
    await writeFile(first, 'first');
    await spool.moveIn([{ from: first, to: place }]);
    const resent = path.join(spool.incomingDir, 'b-1.dcm');
    await writeFile(resent, 'second');
    await spool.moveIn([{ from: resent, to: place }]);
    expect(await readFile(place, 'utf8')).toBe('second');
    expect(await readdir(spool.incomingDir)).toEqual([]);
  });

  it('refuses UIDs that could escape the spool folder', async () => {
    const spool = await tempSpool();
    expect(() => spool.placeFor({ seriesInstanceUid: '../../etc', sopInstanceUid: '1.2' })).toThrow(/not a valid UID/);
    expect(() => spool.placeFor({ seriesInstanceUid: '1.2', sopInstanceUid: '1.2/../x' })).toThrow(/not a valid UID/);
  });

  it('finds acknowledged files left in incoming/ and drops never-acknowledged .part files', async () => {
    const spool = await tempSpool();
    await writeFile(path.join(spool.incomingDir, 'assoc-2.dcm'), 'x');
    await writeFile(path.join(spool.incomingDir, 'assoc-1.dcm'), 'x');
    await writeFile(path.join(spool.incomingDir, 'assoc-3.dcm.part'), 'x');
    expect((await spool.unindexedFiles()).map((file) => path.basename(file))).toEqual(['assoc-1.dcm', 'assoc-2.dcm']);
    expect(await readdir(spool.incomingDir)).not.toContain('assoc-3.dcm.part');
  });

  it('moves a file it cannot index to rejected/ with the reason beside it', async () => {
    const spool = await tempSpool();
    const file = path.join(spool.incomingDir, 'bad-1.dcm');
    await writeFile(file, 'not dicom');
    const rejected = await spool.reject(file, 'cannot parse DICOM header');
    expect(await readFile(`${rejected}.reason.txt`, 'utf8')).toMatch(/cannot parse/);
    expect(await readdir(spool.incomingDir)).toEqual([]);
  });
});
