/**
 * Issue 9, items 3, 7, 8 and 10, against the node as a real process: who may store, what a resend
 * from another AE may change, how long a connection may hold a descriptor without speaking,
 * regular expressions that cannot stall the node, and DICOM over TLS with mutual authentication.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { encodeAssociateRequest, decodeAssociateReject, APPLICATION_CONTEXT } from '../../src/dicom/association-pdu.js';
import { echoDestination, sendInstances } from '../../src/dicom/sender.js';
import { ScuAssociation } from '../../src/dicom/scu-association.js';
import { SopClass, TransferSyntax } from '../../src/dicom/uids.js';
import { runDcmtk } from '../helpers/dcmtk.js';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { dropSchemas } from '../helpers/test-database.js';
import { waitFor } from '../helpers/wait-for.js';

const run = promisify(execFile);
const SERIES = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
const nodes: NodeProcess[] = [];

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.stop()));
  await dropSchemas(...nodes.flatMap((node) => [node.schema, `${node.schema}_queue`]));
});

async function start(config: Record<string, unknown>): Promise<NodeProcess> {
  const node = await startNodeProcess({ config });
  nodes.push(node);
  return node;
}

async function firstSlice(): Promise<string> {
  return path.join(SERIES, (await readdir(SERIES)).filter((name) => name.endsWith('.dcm')).sort()[0]);
}

async function storescu(node: NodeProcess, callingAe: string, files: string[], extra: string[] = [], port = node.dicomPort) {
  return runDcmtk('storescu', ['-aec', 'CTPREP', '-aet', callingAe, ...extra, '127.0.0.1', String(port), ...files]);
}

/** Opens a raw connection and sends an A-ASSOCIATE-RQ; resolves with the first PDU type and bytes answered. */
function rawAssociate(port: number, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    const parts: Buffer[] = [];
    socket.on('data', (chunk) => {
      parts.push(chunk);
      const bytes = Buffer.concat(parts);
      if (bytes.length >= 6 && bytes.length >= 6 + bytes.readUInt32BE(2)) {
        socket.destroy();
        resolve(bytes.subarray(0, 6 + bytes.readUInt32BE(2)));
      }
    });
    socket.on('error', reject);
  });
}

/** Milliseconds until the node ends the connection (its FIN, or a reset), seen from our side. */
function closedWithin(socket: net.Socket): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    const done = () => resolve(performance.now() - started);
    socket.resume(); // a paused socket never tells of the far end's FIN
    socket.once('end', done);
    socket.once('close', done);
    socket.once('error', done);
  });
}

describe('DICOM access control and limits (issue 9)', () => {
  let node: NodeProcess;
  beforeAll(async () => {
    // Shipped default: no callers list, so the destinations' AE titles may store (here 'ORTHANC').
    node = await startNodeProcess({
      config: {
        dicom: {
          callers: undefined,
          limits: { setupTimeoutMs: 2000, pduTimeoutMs: 3000, idleTimeoutMs: 5000, maxAssociations: 32, maxAssociationsPerCaller: 4 },
        },
      },
    });
    nodes.push(node);
  }, 120_000);

  it('[fault] an unknown calling AE is rejected at association (calling AE not recognized); a destination AE stores', async () => {
    const refused = await storescu(node, 'STRANGER', [await firstSlice()]);
    expect(refused.code).not.toBe(0);
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/Calling AE Title Not Recognized|rejected/i);
    const allowed = await storescu(node, 'ORTHANC', [await firstSlice()]);
    expect(allowed.code).toBe(0);
    const audit = (await (await node.api('/api/audit?action=association.rejected')).json()) as { events: { subject: string; detail: { reason: string } }[] };
    expect(audit.events).toEqual(expect.arrayContaining([expect.objectContaining({ subject: 'STRANGER', detail: expect.objectContaining({ reason: 'calling-ae-not-recognized' }) })]));
  });

  it('[fault] a resend of the same SOP Instance with other content does not replace the stored one (keep-first), and is recorded', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-resend-'));
    const original = await firstSlice();
    const altered = path.join(dir, 'altered.dcm');
    await copyFile(original, altered);
    const changed = await runDcmtk('dcmodify', ['-nb', '-m', '(0008,103e)=ALTERED COPY', altered]);
    expect(changed.code).toBe(0);
    expect((await storescu(node, 'ORTHANC', [original])).code).toBe(0);
    await node.api('/api/health');
    const seriesBefore = (await (await node.api('/api/series')).json()) as { series: { seriesInstanceUid: string }[] };
    const spoolFile = await waitFor('the instance in the spool', async () => {
      const files = await readdir(path.join(node.dataDir, 'spool', 'series'), { recursive: true });
      const dcm = files.filter((name) => String(name).endsWith('.dcm'));
      return dcm.length > 0 && path.join(node.dataDir, 'spool', 'series', String(dcm[0]));
    });
    const before = await readFile(spoolFile);
    expect((await storescu(node, 'ORTHANC', [altered])).code).toBe(0);
    await waitFor('the conflict to be recorded', async () => {
      const audit = (await (await node.api('/api/audit?action=instance.conflict')).json()) as { total: number };
      return audit.total > 0;
    });
    expect((await readFile(spoolFile)).equals(before)).toBe(true);
    expect(await readdir(path.join(node.dataDir, 'spool', 'conflicts'))).toHaveLength(1);
    expect(seriesBefore.series.length).toBeGreaterThan(0);
  });

  it('[fault] a connection that trickles one byte a second is closed: no A-ASSOCIATE-RQ within the set-up time, no PDU within its deadline', async () => {
    const socket = net.connect(node.dicomPort, '127.0.0.1');
    const closed = closedWithin(socket);
    const trickle = setInterval(() => socket.writable && socket.write(Buffer.from([0x01])), 1000);
    const ms = await closed;
    clearInterval(trickle);
    expect(ms).toBeLessThan(4000);
    // After the association is up, a PDU that trickles in is cut at its deadline too.
    const association = await ScuAssociation.open(
      { aeTitle: 'CTPREP', host: '127.0.0.1', port: node.dicomPort },
      { callingAeTitle: 'ORTHANC', contexts: [{ abstractSyntaxUid: SopClass.Verification, transferSyntaxUids: [TransferSyntax.ImplicitVrLittleEndian] }] },
      5000,
    );
    const socketOf = (association as unknown as { socket: net.Socket }).socket;
    const cut = closedWithin(socketOf);
    socketOf.write(Buffer.from([0x04, 0x00, 0x00, 0x00]));
    const dribble = setInterval(() => socketOf.writable && socketOf.write(Buffer.from([0x00])), 500);
    expect(await cut).toBeLessThan(5000);
    clearInterval(dribble);
  });

  it('[fault] 1000 idle TCP connections: refused beyond the bound and logged; a real sender gets through seconds later', async () => {
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 1000; i++) {
      const socket = net.connect(node.dicomPort, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.resume();
      sockets.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const fds = (await readdir(`/proc/${node.pid}/fd`)).length;
    expect(fds).toBeLessThan(300);
    await waitFor('the idle connections to be closed', async () => sockets.every((socket) => socket.destroyed || socket.readableEnded), { timeoutMs: 10_000 });
    const sent = await storescu(node, 'ORTHANC', [await firstSlice()]);
    expect(sent.code).toBe(0);
    expect(await node.log()).toMatch(/DICOM connection refused: too many connections/);
  });

  it('[fault] an association with zero presentation contexts is rejected', async () => {
    const answer = await rawAssociate(
      node.dicomPort,
      encodeAssociateRequest({ calledAeTitle: 'CTPREP', callingAeTitle: 'ORTHANC', applicationContext: APPLICATION_CONTEXT, contexts: [], userInformation: { maxPduLength: 16384, implementationClassUid: '1.2.3' } }),
    );
    expect(answer[0]).toBe(0x03);
    expect(decodeAssociateReject(answer)).toEqual({ result: 1, source: 1, reason: 1 });
  });

  it('[fault] more associations from one calling AE than it may hold are rejected, transiently', async () => {
    const peer = { aeTitle: 'CTPREP', host: '127.0.0.1', port: node.dicomPort };
    const proposal = { callingAeTitle: 'ORTHANC', contexts: [{ abstractSyntaxUid: SopClass.Verification, transferSyntaxUids: [TransferSyntax.ImplicitVrLittleEndian] }] };
    const held = await Promise.all([1, 2, 3, 4].map(() => ScuAssociation.open(peer, proposal, 5000)));
    await expect(ScuAssociation.open(peer, proposal, 5000)).rejects.toThrow(/transient.*local limit exceeded/);
    await Promise.all(held.map((association) => association.release()));
    // The node frees a slot when it sees the association's socket close, a moment after our release returns.
    await waitFor('a slot to be free again', () => echoDestination('ORTHANC', peer, 5000).then(() => true), { timeoutMs: 5000 });
  });

  it('[fault] a catastrophic regular expression in a rule dry run neither stalls the node nor is accepted as a rule', async () => {
    const peer = { aeTitle: 'CTPREP', host: '127.0.0.1', port: node.dicomPort };
    const evil = { id: 'evil', name: 'evil', match: { seriesDescription: { pattern: '^(a+)+$' } }, steps: [{ kind: 'gaussian-soften' }], destinations: [] };
    const started = performance.now();
    const [dryRun] = await Promise.all([
      node.api('/api/rules/test', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rule: evil, tags: { Modality: 'CT', SeriesDescription: `${'a'.repeat(5000)}b` } }) }),
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const echoStarted = performance.now();
        await echoDestination('ORTHANC', peer, 5000);
        return performance.now() - echoStarted;
      })().then((echoMs) => expect(echoMs).toBeLessThan(500)),
    ]);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(dryRun.status).toBeLessThan(500);
    const saved = await node.api('/api/rules/evil2', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...evil, id: 'evil2', match: { seriesDescription: { pattern: '(a)\\1' } } }) });
    expect(saved.status).toBe(400);
    expect(await saved.text()).toMatch(/RE2 syntax/);
  });
});

describe('DICOM over TLS (issue 9, item 10)', () => {
  let node: NodeProcess;
  let pki: string;
  const openssl = (...args: string[]) => run('openssl', args, { cwd: pki });

  beforeAll(async () => {
    pki = await mkdtemp(path.join(os.tmpdir(), 'ctprep-pki-'));
    await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Test CA');
    await writeFile(path.join(pki, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    for (const name of ['node', 'client']) {
      await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      await openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', 'san.cnf');
    }
    // A client certificate no CA of ours signed.
    await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'stranger.key', '-out', 'stranger.pem', '-days', '2', '-subj', '/CN=stranger');
    const tlsPort = await import('../helpers/dcmtk.js').then((m) => m.freePort());
    node = await start({
      dicom: { tls: { port: tlsPort, key: path.join(pki, 'node.key'), cert: path.join(pki, 'node.pem'), ca: path.join(pki, 'ca.pem') } },
    });
  }, 120_000);

  async function tlsPortOf(): Promise<number> {
    const config = JSON.parse(await readFile(path.join(node.dir, 'node.json'), 'utf8')) as { dicom: { tls: { port: number } } };
    return config.dicom.tls.port;
  }

  it('[fault] dcmtk storescu +tls with a certificate our CA signed stores; one with a stranger certificate is refused', async () => {
    const port = await tlsPortOf();
    const good = await storescu(node, 'SCANNER', [await firstSlice()], ['+tls', path.join(pki, 'client.key'), path.join(pki, 'client.pem'), '+cf', path.join(pki, 'ca.pem')], port);
    expect(good.code).toBe(0);
    const bad = await storescu(node, 'SCANNER', [await firstSlice()], ['+tls', path.join(pki, 'stranger.key'), path.join(pki, 'stranger.pem'), '+cf', path.join(pki, 'ca.pem')], port);
    expect(bad.code).not.toBe(0);
    const plainOnTls = await storescu(node, 'SCANNER', [await firstSlice()], [], port);
    expect(plainOnTls.code).not.toBe(0);
  });

  it('[fault] the node\'s own sender stores over TLS to its own listener with a good certificate, and fails with a bad one', async () => {
    const port = await tlsPortOf();
    const files = [await firstSlice()];
    const pem = async (name: string) => readFile(path.join(pki, name));
    const good = await sendInstances({
      callingAeTitle: 'SELF',
      destination: { aeTitle: 'CTPREP', host: '127.0.0.1', port, tls: { ca: await pem('ca.pem'), cert: await pem('client.pem'), key: await pem('client.key') } },
      files,
    });
    expect(good.ok).toBe(true);
    await expect(
      sendInstances({
        callingAeTitle: 'SELF',
        destination: { aeTitle: 'CTPREP', host: '127.0.0.1', port, tls: { ca: await pem('ca.pem'), cert: await pem('stranger.pem'), key: await pem('stranger.key') } },
        files,
      }),
    ).rejects.toThrow();
    const stat0 = await stat(path.join(node.dataDir, 'spool'));
    expect(stat0.isDirectory()).toBe(true);
  });
});
