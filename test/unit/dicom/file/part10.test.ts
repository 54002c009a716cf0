import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidInputError } from '../../../../src/errors.js';
import { encodeFileMeta, parsePart10Header, readPart10Header } from '../../../../src/dicom/file/part10.js';

const SAMPLE = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f/1-01.dcm');

describe('Part 10 file meta', () => {
  const fields = {
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    sopInstanceUid: '1.2.3.4.5', // odd length: padded with NUL
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    implementationClassUid: '2.25.1',
    implementationVersionName: 'ABC', // odd length: padded with a space
    sourceAeTitle: 'STORESCU',
  };

  it('reads back what it writes, with even value lengths and a correct group length', () => {
    const meta = encodeFileMeta(fields);
    const dataset = Buffer.from('08000500435300000000', 'hex');
    const header = parsePart10Header(Buffer.concat([meta, dataset]), 'memory');
    expect(header).toEqual({
      sopClassUid: fields.sopClassUid,
      sopInstanceUid: fields.sopInstanceUid,
      transferSyntaxUid: fields.transferSyntaxUid,
      implementationClassUid: fields.implementationClassUid,
      sourceAeTitle: fields.sourceAeTitle,
      datasetOffset: meta.length,
    });
    const groupLength = meta.readUInt32LE(132 + 8);
    expect(132 + 12 + groupLength).toBe(meta.length);
    expect((meta.length - 132) % 2).toBe(0);
  });

  it('reads the file meta of a real CT file', async () => {
    const header = await readPart10Header(SAMPLE);
    expect(header.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.2');
    expect(header.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
    const bytes = await readFile(SAMPLE);
    expect(bytes.readUInt16LE(header.datasetOffset)).toBe(0x0008); // the dataset starts with group 0008
  });

  it('names the file when it is not Part 10', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'part10-'));
    try {
      const file = path.join(dir, 'raw.dcm');
      await writeFile(file, Buffer.alloc(300));
      await expect(readPart10Header(file)).rejects.toThrow(InvalidInputError);
      await expect(readPart10Header(file)).rejects.toThrow(/raw\.dcm: not a DICOM Part 10 file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads file meta longer than its first read', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'part10-'));
    try {
      const privateInformation = Buffer.alloc(12 + 6000);
      privateInformation.writeUInt16LE(0x0002, 0);
      privateInformation.writeUInt16LE(0x0102, 2); // (0002,0102) OB PrivateInformation
      privateInformation.write('OB', 4, 'latin1');
      privateInformation.writeUInt32LE(6000, 8);
      const dataset = Buffer.from('0800050043530000', 'hex');
      const file = path.join(dir, 'long-meta.dcm');
      const meta = Buffer.concat([encodeFileMeta(fields), privateInformation]);
      await writeFile(file, Buffer.concat([meta, dataset]));
      expect(await readPart10Header(file)).toMatchObject({ sopInstanceUid: fields.sopInstanceUid, datasetOffset: meta.length });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('requires the transfer syntax', () => {
    const meta = encodeFileMeta(fields);
    const withoutSyntax = Buffer.from(meta);
    const at = withoutSyntax.indexOf(Buffer.from([0x02, 0x00, 0x10, 0x00]), 132);
    withoutSyntax.writeUInt16LE(0x0011, at + 2); // rename (0002,0010) to (0002,0011)
    expect(() => parsePart10Header(withoutSyntax, 'x.dcm')).toThrow(/TransferSyntaxUID/);
  });
});
