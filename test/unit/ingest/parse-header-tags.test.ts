import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { dcmjs, PIXEL_DATA_TAG, readPart10, toArrayBuffer } from '../../../src/imaging/dcmjs.js';
import { HEADER_TAGS, parseHeaderTags, type HeaderKeyword } from '../../../src/ingest/parse-header-tags.js';

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
        const actual = parseHeaderTags(bytes);
        expect(actual.reachedPixelData).toBe(true);
        for (const keyword of Object.keys(HEADER_TAGS) as HeaderKeyword[]) {
          expect([folder, name, keyword, actual.dataset[keyword]]).toEqual([folder, name, keyword, expected.dataset[keyword]]);
        }
        expect(actual.meta.TransferSyntaxUID).toBe(expected.meta.TransferSyntaxUID);
        expect(actual.meta.SourceApplicationEntityTitle).toEqual(expected.meta.SourceApplicationEntityTitle);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(400);
  });

  it('says when a prefix ends before PixelData, and throws on bytes that are not DICOM', async () => {
    const folder = path.join(DATA, 'lung-pet-ct-dx-A0002-siemens-B70f');
    const bytes = await readFile(path.join(folder, (await readdir(folder)).find((name) => name.endsWith('.dcm'))!));
    expect(() => parseHeaderTags(bytes.subarray(0, 600))).toThrow(new Error('dicomParser:parseDicomDataSetExplicit: buffer overrun'));
    expect(() => parseHeaderTags(Buffer.from('not a DICOM file at all, just text'.repeat(10)))).toThrow(/DICM/);
  });
});
