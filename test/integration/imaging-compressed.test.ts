import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import dcmjsCodecs from 'dcmjs-codecs';
import { openSeries } from '../../src/imaging/load-series.js';
import { readImageHeader } from '../../src/dicom/file/image-headers.js';

const run = promisify(execFile);
const dataDir = resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
const sourceFiles = ['1-14.dcm', '1-15.dcm', '1-16.dcm'].map((name) => join(dataDir, name));
const toolEnv = { ...process.env, TCP_NODELAY: '1' };

async function toolExists(tool: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${tool}`]).then(
    () => true,
    () => false,
  );
}

type Compressor = (input: string, output: string) => Promise<void>;

const dcmtk =
  (tool: string, ...flags: string[]): Compressor =>
  async (input, output) => {
    await run(tool, [...flags, input, output], { env: toolEnv });
  };

/** dcmtk in Debian has no JPEG 2000 encoder; dcmjs-codecs' own encoder makes the files. */
const jpeg2000: Compressor = async (input, output) => {
  const bytes = await readFile(input);
  const transcoder = new dcmjsCodecs.Transcoder(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  transcoder.transcode(dcmjsCodecs.constants.TransferSyntax.Jpeg2000Lossless);
  await writeFile(output, new Uint8Array(transcoder.getDicomPart10()));
};

const cases: { name: string; tool: string; syntax: string; compress: Compressor }[] = [
  { name: 'JPEG lossless SV1 (dcmcjpeg)', tool: 'dcmcjpeg', syntax: '1.2.840.10008.1.2.4.70', compress: dcmtk('dcmcjpeg', '+e1') },
  { name: 'JPEG lossless process 14 (dcmcjpeg +el)', tool: 'dcmcjpeg', syntax: '1.2.840.10008.1.2.4.57', compress: dcmtk('dcmcjpeg', '+el') },
  { name: 'JPEG-LS lossless (dcmcjpls)', tool: 'dcmcjpls', syntax: '1.2.840.10008.1.2.4.80', compress: dcmtk('dcmcjpls') },
  { name: 'RLE lossless (dcmcrle)', tool: 'dcmcrle', syntax: '1.2.840.10008.1.2.5', compress: dcmtk('dcmcrle') },
  { name: 'JPEG 2000 lossless (dcmjs-codecs encoder)', tool: 'node', syntax: '1.2.840.10008.1.2.4.90', compress: jpeg2000 },
];

let dir: string;
let reference: Float32Array[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imaging-compressed-'));
  await dcmjsCodecs.NativeCodecs.initializeAsync();
  const { source } = await openSeries(sourceFiles);
  reference = await Promise.all([0, 1, 2].map((i) => source.readSlice(i)));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(cases)('$name', ({ name, tool, syntax, compress }) => {
  it('decodes to exactly the HU of the uncompressed files', async () => {
    if (tool !== 'node' && !(await toolExists(tool))) {
      if (tool === 'dcmcjpeg') throw new Error('dcmcjpeg (dcmtk) is required for this test');
      console.warn(`${tool} not installed: ${name} not checked`);
      return;
    }
    const compressed = sourceFiles.map((_, i) => join(dir, `${syntax}-${i}.dcm`));
    await Promise.all(sourceFiles.map((file, i) => compress(file, compressed[i])));
    expect((await readImageHeader(compressed[0])).transferSyntaxUid).toBe(syntax);
    const { source } = await openSeries([...compressed].reverse());
    for (let i = 0; i < 3; i++) {
      const slice = await source.readSlice(i);
      expect(slice.length).toBe(reference[i].length);
      expect(Buffer.compare(Buffer.from(slice.buffer), Buffer.from(reference[i].buffer))).toBe(0);
    }
  });
});
