import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dcmjs, encodePart10, encodePart10WithDcmjs, EXPLICIT_VR_LITTLE_ENDIAN, readPart10, toArrayBuffer, type NaturalDataset } from '../../../../src/dicom/file/dcmjs.js';

const SAMPLE = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f/1-01.dcm');
const identity = { transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN, implementationClassUid: '2.25.1', implementationVersionName: 'TEST' };

/** What dcmjs alone writes for the dataset: the reference the fast path must equal byte for byte. */
const dcmjsBytes = (dataset: NaturalDataset) => encodePart10WithDcmjs(dataset, identity);

function sampleDataset(): NaturalDataset {
  const dict = readPart10(toArrayBuffer(readFileSync(SAMPLE)));
  const dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  return { ...dataset, _vrMap: { PixelData: 'OW' } };
}

describe('encodePart10', () => {
  it('writes a real CT slice exactly as dcmjs does (pixels appended after the other elements)', () => {
    const dataset = sampleDataset();
    const bytes = encodePart10(dataset, identity);
    expect(Buffer.from(bytes).equals(Buffer.from(dcmjsBytes(dataset)))).toBe(true);
    const back = readPart10(bytes.buffer as ArrayBuffer);
    expect(back.dict['7FE00010'].vr).toBe('OW');
    expect(Buffer.from(back.dict['7FE00010'].Value[0] as ArrayBuffer).equals(Buffer.from((dataset.PixelData as ArrayBuffer[])[0]))).toBe(true);
  });

  it('pads odd-length OB pixels to an even length, as dcmjs does', () => {
    const dataset = { ...sampleDataset(), BitsAllocated: 8, BitsStored: 8, HighBit: 7, Rows: 3, Columns: 3, PixelData: [new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]).buffer], _vrMap: { PixelData: 'OB' } };
    const bytes = encodePart10(dataset, identity);
    expect(bytes.byteLength % 2).toBe(0);
    expect(Buffer.from(bytes).equals(Buffer.from(dcmjsBytes(dataset)))).toBe(true);
  });

  it('leaves elements after PixelData, and other transfer syntaxes, to dcmjs', () => {
    const trailing = { ...sampleDataset(), DataSetTrailingPadding: new Uint8Array([0, 0]).buffer };
    expect(Buffer.from(encodePart10(trailing, identity)).equals(Buffer.from(dcmjsBytes(trailing)))).toBe(true);
    const implicit = { ...identity, transferSyntaxUid: '1.2.840.10008.1.2' };
    const small = { SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: '2.25.7', Rows: 1, Columns: 2, PixelData: [new Uint16Array([1, 2]).buffer], _vrMap: { PixelData: 'OW' } };
    const bytes = encodePart10(small, implicit);
    expect(readPart10(bytes.buffer as ArrayBuffer).meta['00020010'].Value[0]).toBe('1.2.840.10008.1.2');
  });
});
