/**
 * The listener's association state machine over an in-memory stream, with time in the test's hand:
 * negotiation and rejection, C-ECHO and C-STORE answered, release, and each deadline (setup, PDU,
 * idle) firing exactly when it is due and not while the wait is on the node's side.
 */
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  APPLICATION_CONTEXT,
  decodeAssociateAccept,
  decodeAssociateReject,
  encodeAssociateRequest,
  RejectReason,
} from '../../../src/dicom/association-pdu.js';
import { CommandField, encodeCEchoRequest, encodeCStoreRequest, parseCommand } from '../../../src/dicom/dimse-commands.js';
import { DimseStatus } from '../../../src/dicom/dimse-status.js';
import { parsePart10Header } from '../../../src/dicom/file/part10.js';
import type { AssociationEnd, AssociationRejection, DicomListenerHandlers, ReceivedInstance } from '../../../src/dicom/listener-types.js';
import { PduType } from '../../../src/dicom/pdu-reader.js';
import { AbortReason, pDataHeader, pDataPdu, releaseRequestPdu } from '../../../src/dicom/pdu-writer.js';
import { type Admission, ScpAssociation, type ScpSettings } from '../../../src/dicom/scp-association.js';
import { ACCEPTED_TRANSFER_SYNTAXES, SopClass, TransferSyntax } from '../../../src/dicom/uids.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { MemorySocket } from '../../helpers/memory-socket.js';

const SETUP_MS = 10_000;
const PDU_MS = 30_000;
const IDLE_MS = 60_000;
const ctFile = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B40f');

const quietLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const anyAdmission: Admission = { admit: () => undefined, release: () => undefined };

interface Harness {
  socket: MemorySocket;
  clock: ManualClock;
  association: ScpAssociation;
  ends: AssociationEnd[];
  rejections: AssociationRejection[];
  received: ReceivedInstance[];
}

async function harness(options: { admission?: Admission; handlers?: Partial<DicomListenerHandlers>; callers?: ScpSettings['policy']['callers'] } = {}): Promise<Harness> {
  const clock = new ManualClock();
  const socket = new MemorySocket();
  const ends: AssociationEnd[] = [];
  const rejections: AssociationRejection[] = [];
  const received: ReceivedInstance[] = [];
  const incomingDir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-scp-'));
  const settings: ScpSettings = {
    associationId: 'a1',
    policy: {
      aeTitle: 'CTPREP',
      checkCalledAeTitle: true,
      acceptedSopClasses: [SopClass.CtImageStorage],
      acceptedTransferSyntaxes: ACCEPTED_TRANSFER_SYNTAXES,
      callers: options.callers,
    },
    admission: options.admission ?? anyAdmission,
    maxPduLength: 16_384,
    maxBufferedBytes: 8 * 1024 * 1024,
    idleTimeoutMs: IDLE_MS,
    setupTimeoutMs: SETUP_MS,
    pduTimeoutMs: PDU_MS,
    implementationClassUid: '1.2.3.4',
    implementationVersionName: 'TEST',
    store: {
      incomingDir,
      syncDirectory: async () => undefined,
      flushThresholdBytes: 64 * 1024,
      implementationClassUid: '1.2.3.4',
      implementationVersionName: 'TEST',
      clock: clock.now,
      logger: quietLogger,
    },
    logger: quietLogger,
    timers: clock,
  };
  const handlers: DicomListenerHandlers = {
    onInstance: async (instance) => void received.push(instance),
    onAssociationEnd: (end) => void ends.push(end),
    onAssociationRejected: (rejection) => void rejections.push(rejection),
    ...options.handlers,
  };
  const association = new ScpAssociation(socket, settings, handlers);
  return { socket, clock, association, ends, rejections, received };
}

function associateRequest(callingAeTitle = 'PACS', calledAeTitle = 'CTPREP'): Buffer {
  return encodeAssociateRequest({
    calledAeTitle,
    callingAeTitle,
    applicationContext: APPLICATION_CONTEXT,
    contexts: [
      { id: 1, abstractSyntaxUid: SopClass.Verification, transferSyntaxUids: [TransferSyntax.ImplicitVrLittleEndian] },
      { id: 3, abstractSyntaxUid: SopClass.CtImageStorage, transferSyntaxUids: [TransferSyntax.ExplicitVrLittleEndian] },
    ],
    userInformation: { maxPduLength: 16_384, implementationClassUid: '1.2.3.5' },
  });
}

async function establish(h: Harness): Promise<void> {
  h.socket.send(associateRequest());
  const answer = await h.socket.nextPdu();
  expect(answer.type).toBe(PduType.AssociateAc);
}

/** A command set sent as two PDVs of one P-DATA-TF PDU each: the assembler joins them. */
function commandInTwoPdvs(presentationContextId: number, command: Buffer): Buffer {
  const half = Math.floor(command.length / 2);
  const pdv = (part: Buffer, last: boolean) => Buffer.concat([pDataHeader(presentationContextId, true, last, part.length), part]);
  return Buffer.concat([pdv(command.subarray(0, half), false), pdv(command.subarray(half), true)]);
}

/** The peer hangs up; after an abort the node stops reading and closes after a second's linger. */
async function ended(h: Harness): Promise<void> {
  h.socket.hangUp();
  await h.clock.advance(1000);
  await h.association.ended;
}

describe('negotiation', () => {
  it('accepts a known caller, answers C-ECHO whose command came in two PDVs, and releases', async () => {
    const h = await harness();
    h.socket.send(associateRequest());
    const accept = decodeAssociateAccept((await h.socket.nextPdu()).bytes);
    expect(accept.contexts.map((c) => [c.id, c.result])).toEqual([
      [1, 0],
      [3, 0],
    ]);
    h.socket.send(commandInTwoPdvs(1, encodeCEchoRequest(5)));
    const echo = await h.socket.nextPdu();
    const response = parseCommand(echo.bytes.subarray(12));
    expect(response).toMatchObject({ commandField: CommandField.CEchoRsp, messageIdBeingRespondedTo: 5, status: DimseStatus.Success });
    h.socket.send(releaseRequestPdu());
    expect((await h.socket.nextPdu()).type).toBe(PduType.ReleaseRp);
    await ended(h);
    expect(h.ends).toEqual([expect.objectContaining({ reason: 'released', instanceCount: 0, callingAeTitle: 'PACS' })]);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('rejects a caller not on the list, with the reason the standard has for it', async () => {
    const h = await harness({ callers: [{ aeTitle: 'PACS', overwrite: 'keep-first' }] });
    h.socket.send(associateRequest('STRANGER'));
    const reject = decodeAssociateReject((await h.socket.nextPdu()).bytes);
    expect(reject).toEqual({ result: 1, source: 1, reason: RejectReason.CallingAeNotRecognized });
    await ended(h);
    expect(h.rejections).toEqual([expect.objectContaining({ callingAeTitle: 'STRANGER', reason: 'calling-ae-not-recognized' })]);
    expect(h.ends).toEqual([]);
  });

  it('rejects transiently when the listener has no place, and gives no place back it did not take', async () => {
    const released: string[] = [];
    const h = await harness({ admission: { admit: () => '32 associations are open', release: (ae) => void released.push(ae) } });
    h.socket.send(associateRequest());
    expect(decodeAssociateReject((await h.socket.nextPdu()).bytes)).toEqual({ result: 2, source: 3, reason: RejectReason.LocalLimitExceeded });
    await ended(h);
    expect(released).toEqual([]);
  });
});

describe('deadlines', () => {
  it('aborts a connection that sends no A-ASSOCIATE-RQ within the setup time, not before', async () => {
    const h = await harness();
    await h.clock.advance(SETUP_MS - 1);
    expect(h.socket.unreadBytes).toBe(0);
    await h.clock.advance(1);
    expect((await h.socket.nextPdu()).type).toBe(PduType.Abort);
    await ended(h);
  });

  it('aborts a PDU that stops arriving halfway, at the PDU deadline', async () => {
    const h = await harness();
    await establish(h);
    h.socket.send(pDataHeader(1, true, true, 100).subarray(0, 8)); // a PDU that announces more than comes
    await h.clock.advance(PDU_MS - 1);
    expect(h.socket.unreadBytes).toBe(0);
    await h.clock.advance(1);
    const abort = await h.socket.nextPdu();
    expect(abort.bytes[9]).toBe(AbortReason.NotSpecified);
    await ended(h);
    expect(h.ends).toEqual([expect.objectContaining({ reason: 'aborted' })]);
  });

  it('aborts after the idle time counted from the last PDU either way', async () => {
    const h = await harness();
    await establish(h);
    await h.clock.advance(IDLE_MS - 1000);
    h.socket.send(pDataPdu(1, true, encodeCEchoRequest(1)));
    await h.socket.nextPdu(); // C-ECHO-RSP: the idle time starts over
    await h.clock.advance(IDLE_MS - 1);
    expect(h.socket.unreadBytes).toBe(0);
    await h.clock.advance(1);
    expect((await h.socket.nextPdu()).type).toBe(PduType.Abort);
    await ended(h);
  });

  it('does not count the time the node takes to store an instance as the peer being idle', async () => {
    let finish!: () => void;
    const stored = new Promise<void>((resolve) => (finish = resolve));
    const h = await harness({ handlers: { onInstance: () => stored } });
    await establish(h);
    await sendInstance(h, 7);
    await h.clock.advance(IDLE_MS * 3); // the handler is slow (a database under load)
    expect(h.socket.unreadBytes).toBe(0);
    finish();
    const response = parseCommand((await h.socket.nextPdu()).bytes.subarray(12));
    expect(response).toMatchObject({ commandField: CommandField.CStoreRsp, messageIdBeingRespondedTo: 7, status: DimseStatus.Success });
    await ended(h);
  });
});

describe('C-STORE', () => {
  it('writes the instance as a Part 10 file, hands it on, then answers Success', async () => {
    const h = await harness();
    await establish(h);
    const dataset = await sendInstance(h, 9);
    const response = parseCommand((await h.socket.nextPdu()).bytes.subarray(12));
    expect(response.status).toBe(DimseStatus.Success);
    expect(h.received).toHaveLength(1);
    const written = await readFile(h.received[0]!.path);
    const header = parsePart10Header(written, 'received');
    expect(written.subarray(header.datasetOffset).equals(dataset)).toBe(true);
    h.socket.send(releaseRequestPdu());
    await h.socket.nextPdu();
    await ended(h);
    expect(h.ends).toEqual([expect.objectContaining({ reason: 'released', instanceCount: 1 })]);
  });

  it('aborts on a command set larger than the limit and keeps nothing of it', async () => {
    const h = await harness();
    await establish(h);
    const chunk = Buffer.alloc(8000);
    for (let i = 0; i < 9; i++) h.socket.send(Buffer.concat([pDataHeader(1, true, false, chunk.length), chunk]));
    const abort = await h.socket.nextPdu();
    expect(abort.type).toBe(PduType.Abort);
    expect(abort.bytes[9]).toBe(AbortReason.InvalidPduParameterValue);
    await ended(h);
  });

  it('aborts an A-RELEASE-RQ sent between the PDVs of a command', async () => {
    const h = await harness();
    await establish(h);
    const command = encodeCEchoRequest(2);
    h.socket.send(Buffer.concat([pDataHeader(1, true, false, 4), command.subarray(0, 4)]));
    h.socket.send(releaseRequestPdu());
    expect((await h.socket.nextPdu()).type).toBe(PduType.Abort);
    await ended(h);
    expect(h.ends).toEqual([expect.objectContaining({ reason: 'aborted' })]);
  });
});

/** Sends one CT slice from the shared data as C-STORE on context 3; returns the dataset bytes sent. */
async function sendInstance(h: Harness, messageId: number): Promise<Buffer> {
  const [name] = (await readdir(ctFile)).sort();
  const file = await readFile(path.join(ctFile, name!));
  const header = parsePart10Header(file, name!);
  expect(header.transferSyntaxUid).toBe(TransferSyntax.ExplicitVrLittleEndian);
  const dataset = file.subarray(header.datasetOffset);
  h.socket.send(pDataPdu(3, true, encodeCStoreRequest({ messageId, sopClassUid: header.sopClassUid, sopInstanceUid: header.sopInstanceUid })));
  const pieceLength = 16_384 - 6;
  for (let at = 0; at < dataset.length; at += pieceLength) {
    const piece = dataset.subarray(at, Math.min(at + pieceLength, dataset.length));
    h.socket.send(Buffer.concat([pDataHeader(3, false, at + pieceLength >= dataset.length, piece.length), piece]));
  }
  return dataset;
}
