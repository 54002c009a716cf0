import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dcmjs, PIXEL_DATA_TAG, readPart10, toArrayBuffer } from '../../../../src/dicom/file/dcmjs.js';
import { INDEX_TAGS, parseIndexTags, type IndexKeyword } from '../../../../src/dicom/file/index-tags.js';
import { readHeaderBytes } from '../../../../src/dicom/file/header-bytes.js';

const DATA = path.resolve(process.cwd(), '../shared/data/ct');

/** What ingest stored before it used dicom-parser: dcmjs's naturalized header. */
function dcmjsHeader(bytes: Buffer) {
  const dict = readPart10(toArrayBuffer(bytes), { untilTag: PIXEL_DATA_TAG });
  return { dataset: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict), meta: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.meta) };
}

describe('header tags read with dicom-parser', () => {
  it('equal what dcmjs naturalizes, for every file of every shared series (explicit and implicit VR, three vendors)', async () => {
    let compared = 0;
    for (const folder of await readdir(DATA)) {
      const files = (await readdir(path.join(DATA, folder)).catch(() => [] as string[])).filter((name) => name.endsWith('.dcm'));
      for (const name of files) {
        const bytes = await readFile(path.join(DATA, folder, name));
        const expected = dcmjsHeader(bytes);
        const header = await readHeaderBytes(path.join(DATA, folder, name));
        expect(header.wholeFile).toBe(false); // the 64 KiB prefix held the whole header
        const actual = parseIndexTags(header.dataSet);
        for (const keyword of Object.keys(INDEX_TAGS) as IndexKeyword[]) {
          expect([folder, name, keyword, actual.dataset[keyword]]).toEqual([folder, name, keyword, expected.dataset[keyword]]);
        }
        expect(actual.meta.TransferSyntaxUID).toBe(expected.meta.TransferSyntaxUID);
        expect(actual.meta.SourceApplicationEntityTitle).toEqual(expected.meta.SourceApplicationEntityTitle);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(400);
  });

  it('reads the whole file when the header goes on past the prefix, and refuses bytes that are not DICOM', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'header-bytes-'));
    const notDicom = path.join(dir, 'text.dcm');
    await writeFile(notDicom, 'not a DICOM file at all, just text'.repeat(10));
    await expect(readHeaderBytes(notDicom)).rejects.toThrow(/cannot parse DICOM header.*DICM/);
    const cut = path.join(dir, 'cut.dcm');
    const folder = path.join(DATA, 'lung-pet-ct-dx-A0002-siemens-B70f');
    const bytes = await readFile(path.join(folder, (await readdir(folder)).find((name) => name.endsWith('.dcm'))!));
    await writeFile(cut, bytes.subarray(0, 600));
    await expect(readHeaderBytes(cut)).rejects.toThrow(/buffer overrun/);
  });
});
