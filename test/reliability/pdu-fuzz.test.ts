/**
 * Issue 9: a bounded PDU fuzz run against the node as a real process. For FUZZ_SECONDS (60 in CI)
 * connections send random bytes, mutated association requests, and mutated P-DATA after a valid
 * association; the node must not crash, must keep answering C-ECHO, and must store nothing. Its
 * memory must stay flat: it runs with an old space of 128 MiB (it holds about 35 MiB alive), so
 * that anything kept per connection would end it with an out-of-memory crash within the run; V8
 * collects lazily, so the heap size between collections says nothing (measured with forced
 * collections in-process: 32.9 -> 32.8 MiB over 40 s of this fuzz).
 */
import net from 'node:net';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { APPLICATION_CONTEXT, encodeAssociateRequest } from '../../src/dicom/association-pdu.js';
import { encodeCStoreRequest } from '../../src/dicom/dimse-commands.js';
import { pDataPdu } from '../../src/dicom/pdu-writer.js';
import { echoDestination } from '../../src/dicom/sender.js';
import { SopClass, TransferSyntax } from '../../src/dicom/uids.js';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { dropSchemas } from '../helpers/test-database.js';
import { recordTally } from './tally.js';

const FUZZ_SECONDS = Number(process.env.FUZZ_SECONDS ?? 60);
let node: NodeProcess;

beforeAll(async () => {
  node = await startNodeProcess({
    env: { NODE_OPTIONS: '--max-old-space-size=128' },
    config: { dicom: { limits: { setupTimeoutMs: 1000, pduTimeoutMs: 1000, idleTimeoutMs: 2000 } } },
  });
}, 120_000);

afterAll(async () => {
  await node?.stop();
  if (node) await dropSchemas(node.schema, `${node.schema}_queue`);
});

/** mulberry32: the same run every time. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
}

async function heapUsedMiB(): Promise<number> {
  const text = await (await node.api('/metrics')).text();
  return Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1]) / 1048576;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const request = encodeAssociateRequest({
  calledAeTitle: 'CTPREP',
  callingAeTitle: 'FUZZER',
  applicationContext: APPLICATION_CONTEXT,
  contexts: [{ id: 1, abstractSyntaxUid: SopClass.CtImageStorage, transferSyntaxUids: [TransferSyntax.ExplicitVrLittleEndian] }],
  userInformation: { maxPduLength: 16384, implementationClassUid: '1.2.3' },
});

function mutate(bytes: Buffer, next: () => number): Buffer {
  const copy = Buffer.from(bytes);
  const flips = 1 + Math.floor(next() * 8);
  for (let i = 0; i < flips; i++) copy[Math.floor(next() * copy.length)] = Math.floor(next() * 256);
  const cut = next() < 0.3 ? Math.floor(next() * copy.length) : copy.length;
  return copy.subarray(0, cut);
}

/** One fuzz case on one connection: what is written, waiting a moment between the parts. */
function fuzzCase(next: () => number): Buffer[] {
  const kind = Math.floor(next() * 5);
  const noise = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256)));
  switch (kind) {
    case 0:
      return [noise(1 + Math.floor(next() * 2000))];
    case 1:
      return [mutate(request, next)];
    case 2: {
      const header = Buffer.from([0x04, 0, 0xff, 0xff, 0xff, 0xff]); // a P-DATA that claims 4 GiB
      return [request, header, noise(100)];
    }
    case 3: {
      const command = encodeCStoreRequest({ messageId: 1, sopClassUid: SopClass.CtImageStorage, sopInstanceUid: '1.2.3.4' });
      return [request, mutate(pDataPdu(1, true, command), next), mutate(pDataPdu(1, false, noise(500)), next)];
    }
    default:
      return [request, mutate(Buffer.concat([pDataPdu(1, true, noise(64)), pDataPdu(3, false, noise(64))]), next), noise(50)];
  }
}

function runCase(port: number, parts: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.resume();
    let index = 0;
    const writeNext = () => {
      if (index >= parts.length || socket.destroyed) {
        setTimeout(() => socket.destroy(), 20);
        return;
      }
      socket.write(parts[index++]);
      setTimeout(writeNext, 10);
    };
    socket.on('connect', writeNext);
    socket.on('close', () => resolve());
  });
}

describe('PDU fuzzing (issue 9)', () => {
  it(`[fault] ${FUZZ_SECONDS} s of fuzzed PDUs: no crash, C-ECHO answered, nothing stored, memory flat`, async () => {
    const next = random(20261126);
    const pid = node.pid!;
    // Warm-up, so that what the first connections allocate once is not counted as growth.
    for (let i = 0; i < 50; i++) await runCase(node.dicomPort, fuzzCase(next));
    const before = await rssKiB(pid);
    const deadline = Date.now() + FUZZ_SECONDS * 1000;
    let cases = 0;
    const heap: number[] = [];
    const sampler = setInterval(() => void heapUsedMiB().then((mib) => heap.push(mib)), 1000);
    while (Date.now() < deadline) {
      await Promise.all(Array.from({ length: 8 }, () => runCase(node.dicomPort, fuzzCase(next))));
      cases += 8;
    }
    clearInterval(sampler);
    await new Promise((resolve) => setTimeout(resolve, 2500)); // every connection past its deadlines
    const after = await rssKiB(pid);
    expect(node.pid).toBe(pid);
    await expect(echoDestination('FUZZER', { aeTitle: 'CTPREP', host: '127.0.0.1', port: node.dicomPort }, 5000)).resolves.toBeUndefined();
    const stored = (await readdir(path.join(node.dataDir, 'spool'), { recursive: true })).filter((name) => String(name).endsWith('.dcm'));
    expect(stored).toEqual([]);
    expect(cases).toBeGreaterThan(100);
    expect(alive(pid)).toBe(true);
    expect(Math.max(...heap)).toBeLessThan(128);
    await recordTally({
      case: `PDU fuzz: ${cases} connections, heap ${Math.min(...heap).toFixed(0)}-${Math.max(...heap).toFixed(0)} MiB under a 128 MiB old space, RSS ${Math.round(before / 1024)} -> ${Math.round(after / 1024)} MiB`,
    });
  }, (FUZZ_SECONDS + 60) * 1000);
});
