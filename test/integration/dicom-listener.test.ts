import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startDicomListener, type AssociationEnd, type DicomListener, type ReceivedInstance } from '../../src/dicom/listener.js';
import { readPart10Header } from '../../src/dicom/file/part10.js';
import { sendInstances } from '../../src/dicom/sender.js';
import { ScuAssociation } from '../../src/dicom/scu-association.js';
import { UnavailableError } from '../../src/errors.js';
import { runDcmtk } from '../helpers/dcmtk.js';

const SERIES = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
const quiet = () => undefined;
const silent = { debug: quiet, info: quiet, warn: quiet, error: quiet };

async function datasetBytes(file: string): Promise<Buffer> {
  const { datasetOffset } = await readPart10Header(file);
  return (await readFile(file)).subarray(datasetOffset);
}

describe('DICOM listener, fed by dcmtk', () => {
  let work: string;
  let incomingDir: string;
  let listener: DicomListener;
  const received: ReceivedInstance[] = [];
  const failFor = new Set<string>();
  let onEnd: ((end: AssociationEnd) => void) | undefined;

  /** Resolves with the next association's end (release, abort or close). */
  const nextAssociationEnd = () => new Promise<AssociationEnd>((resolve) => (onEnd = resolve));

  /** storescu with its file arguments after host and port, as dcmtk wants them. */
  const send = (options: string[], files: string[]) =>
    runDcmtk('storescu', ['-v', '-aec', 'NODE', ...options, '127.0.0.1', String(listener.port), ...files]);

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'dicom-listener-'));
    incomingDir = path.join(work, 'incoming');
    await mkdir(path.join(work, 'sources'));
    listener = await startDicomListener(
      { aeTitle: 'NODE', port: 0, incomingDir, logger: silent, clock: () => new Date('2024-05-01T10:00:00Z') },
      {
        async onInstance(instance) {
          if (failFor.has(instance.sopInstanceUid)) throw new Error('index unavailable');
          received.push(instance);
        },
        onAssociationEnd: (end) => onEnd?.(end),
      },
    );
  });

  afterAll(async () => {
    await listener.close();
    await rm(work, { recursive: true, force: true });
  });

  beforeEach(() => {
    received.length = 0;
    failFor.clear();
  });

  it('stores each instance durably, byte for byte as sent, before the handler sees it', async () => {
    // storescu re-encodes sequences with explicit lengths before sending; a dcmconv copy is what it sends unchanged.
    const sources: string[] = [];
    for (const name of ['1-01.dcm', '1-02.dcm', '1-03.dcm']) {
      const copy = path.join(work, 'sources', `explicit-${name}`);
      expect((await runDcmtk('dcmconv', [path.join(SERIES, name), copy])).code).toBe(0);
      sources.push(copy);
    }
    const ended = nextAssociationEnd();
    const result = await send([], sources);
    expect(result.code).toBe(0);
    expect(await ended).toMatchObject({ callingAeTitle: 'STORESCU', instanceCount: 3, reason: 'released' });
    expect(received).toHaveLength(3);
    for (const [index, source] of sources.entries()) {
      const instance = received[index];
      const header = await readPart10Header(source);
      expect(instance).toMatchObject({
        sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
        sopInstanceUid: header.sopInstanceUid,
        transferSyntaxUid: '1.2.840.10008.1.2.1',
        callingAeTitle: 'STORESCU',
        calledAeTitle: 'NODE',
        receivedAt: new Date('2024-05-01T10:00:00Z'),
      });
      expect(path.dirname(instance.path)).toBe(incomingDir);
      expect((await datasetBytes(instance.path)).equals(await datasetBytes(source))).toBe(true);
      const stored = await readPart10Header(instance.path);
      expect(stored).toMatchObject({ sopInstanceUid: header.sopInstanceUid, sourceAeTitle: 'STORESCU' });
      const dump = await runDcmtk('dcmdump', ['-M', instance.path]);
      expect(dump.code).toBe(0);
      expect(dump.stdout).toContain(header.sopInstanceUid);
    }
    expect(new Set(received.map((r) => r.path)).size).toBe(3);
    expect((await readdir(incomingDir)).filter((name) => name.endsWith('.part'))).toEqual([]);
  });

  it('stores the original bytes when the sender sends them unchanged (our own sender)', async () => {
    const files = ['1-04.dcm', '1-05.dcm'].map((name) => path.join(SERIES, name));
    const result = await sendInstances({
      callingAeTitle: 'NODESCU',
      destination: { aeTitle: 'NODE', host: '127.0.0.1', port: listener.port },
      files,
      logger: silent,
    });
    expect(result.ok).toBe(true);
    for (const [index, file] of files.entries()) {
      expect((await datasetBytes(received[index].path)).equals(await datasetBytes(file))).toBe(true);
    }
  });

  it('answers C-ECHO', async () => {
    const echo = await runDcmtk('echoscu', ['-aec', 'NODE', '127.0.0.1', String(listener.port)]);
    expect(echo.code).toBe(0);
  });

  it('answers a failure status and keeps no file when the handler throws', async () => {
    const file = path.join(SERIES, '1-06.dcm');
    failFor.add((await readPart10Header(file)).sopInstanceUid);
    const before = await readdir(incomingDir);
    const result = await send([], [file]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Store Response \(.*0x110\)/);
    const byOurSender = await sendInstances({
      callingAeTitle: 'NODESCU',
      destination: { aeTitle: 'NODE', host: '127.0.0.1', port: listener.port },
      files: [file],
      logger: silent,
    });
    expect(byOurSender.files[0]).toMatchObject({ status: 0x0110, ok: false });
    expect(received).toHaveLength(0);
    expect(await readdir(incomingDir)).toEqual(before);
  });

  it('refuses an MR Image Storage presentation context', async () => {
    const mr = path.join(work, 'sources', 'mr.dcm');
    await copyFile(path.join(SERIES, '1-07.dcm'), mr);
    expect((await runDcmtk('dcmodify', ['-nb', '-m', '(0008,0016)=1.2.840.10008.5.1.4.1.1.4', mr])).code).toBe(0);
    expect((await readPart10Header(mr)).sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.4');
    const result = await send([], [mr]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/No presentation context for: \(MR\)/);
    expect(received).toHaveLength(0);
  });

  it('keeps a JPEG lossless dataset as it was sent', async () => {
    const jpeg = path.join(work, 'sources', 'jpeg-lossless.dcm');
    expect((await runDcmtk('dcmcjpeg', [path.join(SERIES, '1-08.dcm'), jpeg])).code).toBe(0);
    expect((await readPart10Header(jpeg)).transferSyntaxUid).toBe('1.2.840.10008.1.2.4.70');
    const result = await send(['-xs'], [jpeg]);
    expect(result.code).toBe(0);
    expect(received).toHaveLength(1);
    expect(received[0].transferSyntaxUid).toBe('1.2.840.10008.1.2.4.70');
    expect((await readPart10Header(received[0].path)).transferSyntaxUid).toBe('1.2.840.10008.1.2.4.70');
    expect((await datasetBytes(received[0].path)).equals(await datasetBytes(jpeg))).toBe(true);
  });

  it('rejects an association addressed to another AE title', async () => {
    const result = await runDcmtk('echoscu', ['-aec', 'SOMEONE', '127.0.0.1', String(listener.port)]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Called AE Title Not Recognized/);
  });

  it('aborts, without buffering it, a PDU that announces an absurd length', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: listener.port });
    const answer: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => answer.push(chunk));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(Buffer.from([0x01, 0x00, 0x7f, 0xff, 0xff, 0xff])); // A-ASSOCIATE-RQ of 2 GiB
    await closed;
    expect(Buffer.concat(answer)[0]).toBe(0x07); // A-ABORT
  });

  it('removes the partial file and reports the abort when the sender aborts mid-dataset', async () => {
    const ended = nextAssociationEnd();
    const association = await ScuAssociation.open(
      { aeTitle: 'NODE', host: '127.0.0.1', port: listener.port },
      { callingAeTitle: 'QUITTER', contexts: [{ abstractSyntaxUid: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxUids: ['1.2.840.10008.1.2.1'] }] },
      5000,
    );
    const [pcId] = [...association.contexts.keys()];
    let sentSome: () => void = () => undefined;
    const partSent = new Promise<void>((resolve) => (sentSome = resolve));
    async function* halfADataset() {
      yield Buffer.alloc(300_000);
      sentSome();
      await new Promise(() => undefined); // the rest never comes
    }
    const storing = association.store(pcId, { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3.4', datasetLength: 600_000 }, halfADataset());
    storing.catch(() => undefined);
    await partSent;
    association.abort();
    expect(await ended).toMatchObject({ callingAeTitle: 'QUITTER', instanceCount: 0 });
    expect((await readdir(incomingDir)).filter((name) => name.endsWith('.part'))).toEqual([]);
    expect(received).toHaveLength(0);
  });
});

describe('DICOM listener shutdown', () => {
  it('lets a store whose handler is running finish and answer before closing', async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'dicom-listener-close-'));
    let releaseHandler: () => void = () => undefined;
    let handlerStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (handlerStarted = resolve));
    const stored: ReceivedInstance[] = [];
    const listener = await startDicomListener(
      { aeTitle: 'NODE', port: 0, incomingDir: path.join(work, 'incoming'), logger: silent },
      {
        async onInstance(instance) {
          handlerStarted();
          await new Promise<void>((resolve) => (releaseHandler = resolve));
          stored.push(instance);
        },
      },
    );
    try {
      const files = ['1-01.dcm', '1-02.dcm'].map((name) => path.join(SERIES, name));
      const destination = { aeTitle: 'NODE', host: '127.0.0.1', port: listener.port };
      const sending = sendInstances({ callingAeTitle: 'PACS', destination, files, logger: silent });
      sending.catch(() => undefined);
      await started;
      let closed = false;
      const closing = listener.close().then(() => (closed = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(closed).toBe(false);
      releaseHandler();
      await closing;
      expect(stored).toHaveLength(1);
      expect((await readPart10Header(stored[0].path)).sopInstanceUid).toBe((await readPart10Header(files[0])).sopInstanceUid);
      await expect(sending).rejects.toThrow(UnavailableError); // the second file met the closed listener
    } finally {
      await listener.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});
