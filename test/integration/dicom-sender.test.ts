import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { UnavailableError } from '../../src/errors.js';
import { startDicomListener } from '../../src/dicom/listener.js';
import { readPart10Header } from '../../src/dicom/file/part10.js';
import { echoDestination, sendInstances } from '../../src/dicom/sender.js';
import { freePort, type RunningServer, startDcmtkServer } from '../helpers/dcmtk.js';

const SERIES = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
const FILES = ['1-10.dcm', '1-11.dcm', '1-12.dcm'].map((name) => path.join(SERIES, name));
const quiet = () => undefined;
const silent = { debug: quiet, info: quiet, warn: quiet, error: quiet };

async function datasetBytes(file: string): Promise<Buffer> {
  const { datasetOffset } = await readPart10Header(file);
  return (await readFile(file)).subarray(datasetOffset);
}

/** storescp's file for a SOP instance (it names files <modality>.<SOP Instance UID>). */
async function storedFile(directory: string, sopInstanceUid: string): Promise<string> {
  const name = (await readdir(directory)).find((entry) => entry.endsWith(sopInstanceUid));
  if (!name) throw new Error(`storescp stored nothing for ${sopInstanceUid}`);
  return path.join(directory, name);
}

describe('sendInstances and echoDestination', () => {
  let work: string;
  const servers: RunningServer[] = [];

  /** storescp writing into its own folder; +B keeps the received bytes exactly. */
  async function startStorescp(options: string[]): Promise<{ server: RunningServer; directory: string }> {
    const directory = await mkdtemp(path.join(work, 'storescp-'));
    const server = await startDcmtkServer('storescp', (port) => [...options, '-aet', 'PACS', '-od', directory, String(port)]);
    servers.push(server);
    return { server, directory };
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'dicom-sender-'));
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await rm(work, { recursive: true, force: true });
  });

  it('delivers byte-identical datasets to storescp over one association', async () => {
    const { server, directory } = await startStorescp(['+B']);
    const destination = { aeTitle: 'PACS', host: '127.0.0.1', port: server.port };
    const result = await sendInstances({ callingAeTitle: 'CTPREP', destination, files: FILES, logger: silent });
    expect(result.ok).toBe(true);
    expect(result.files.map((file) => [file.path, file.status, file.ok])).toEqual(FILES.map((file) => [file, 0, true]));
    for (const file of FILES) {
      const { sopInstanceUid } = await readPart10Header(file);
      const stored = await storedFile(directory, sopInstanceUid);
      expect((await datasetBytes(stored)).equals(await datasetBytes(file))).toBe(true);
    }
    await expect(echoDestination('CTPREP', destination)).resolves.toBeUndefined();
  });

  it('transcodes only for a peer that refuses the file transfer syntax', async () => {
    const { server, directory } = await startStorescp(['+xi']); // accepts Implicit VR Little Endian only
    const destination = { aeTitle: 'PACS', host: '127.0.0.1', port: server.port };
    const [file] = FILES;
    const result = await sendInstances({ callingAeTitle: 'CTPREP', destination, files: [file], logger: silent });
    expect(result.files[0]).toMatchObject({ status: 0, ok: true });
    const stored = await storedFile(directory, (await readPart10Header(file)).sopInstanceUid);
    expect((await readPart10Header(stored)).transferSyntaxUid).toBe('1.2.840.10008.1.2');
  });

  it('throws UnavailableError at once, naming peer and AE, when nothing listens', async () => {
    const port = await freePort();
    const destination = { aeTitle: 'PACS', host: '127.0.0.1', port };
    const started = Date.now();
    const sending = sendInstances({ callingAeTitle: 'CTPREP', destination, files: FILES, logger: silent });
    await expect(sending).rejects.toThrow(UnavailableError);
    await expect(sending).rejects.toThrow(`PACS at 127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(echoDestination('CTPREP', destination)).rejects.toThrow(UnavailableError);
  });

  it('throws UnavailableError when the association is rejected', async () => {
    const listener = await startDicomListener(
      { aeTitle: 'NODE', port: 0, incomingDir: path.join(work, 'node-incoming'), logger: silent },
      { onInstance: async () => undefined },
    );
    try {
      const destination = { aeTitle: 'NOT-NODE', host: '127.0.0.1', port: listener.port };
      await expect(sendInstances({ callingAeTitle: 'CTPREP', destination, files: FILES, logger: silent })).rejects.toThrow(
        /rejected the association/,
      );
    } finally {
      await listener.close();
    }
  });

  it('throws UnavailableError when the peer accepts the connection but never answers', async () => {
    const accepted: net.Socket[] = [];
    const mute = net.createServer((socket) => accepted.push(socket)); // reads nothing, answers nothing
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    try {
      const destination = { aeTitle: 'PACS', host: '127.0.0.1', port: (mute.address() as net.AddressInfo).port };
      const sending = sendInstances({ callingAeTitle: 'CTPREP', destination, files: FILES, timeoutMs: 300, logger: silent });
      await expect(sending).rejects.toThrow(UnavailableError);
      await expect(sending).rejects.toThrow(/no answer within 300 ms/);
    } finally {
      accepted.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => mute.close(() => resolve()));
    }
  });
});
