/**
 * The sender's association state machine over an in-memory stream, the test playing the PACS:
 * negotiation, a rejection or silence turned into an UnavailableError that names the peer, a
 * response for another message refused, and a response command set bounded like the listener's.
 */
import { UnavailableError } from '../../../src/errors.js';
import {
  APPLICATION_CONTEXT,
  ContextResult,
  decodeAssociateRequest,
  encodeAssociateAccept,
  encodeAssociateReject,
  RejectReason,
} from '../../../src/dicom/association-pdu.js';
import { encodeCEchoResponse, parseCommand } from '../../../src/dicom/dimse-commands.js';
import { PduType } from '../../../src/dicom/pdu-reader.js';
import { pDataHeader, pDataPdu, releaseResponsePdu } from '../../../src/dicom/pdu-writer.js';
import { ScuAssociation } from '../../../src/dicom/scu-association.js';
import { SopClass, TransferSyntax } from '../../../src/dicom/uids.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { MemorySocket } from '../../helpers/memory-socket.js';

const TIMEOUT_MS = 30_000;
const peer = { aeTitle: 'ORTHANC', host: 'pacs.example', port: 4242 };
const proposal = {
  callingAeTitle: 'CTPREP',
  contexts: [{ abstractSyntaxUid: SopClass.Verification, transferSyntaxUids: [TransferSyntax.ImplicitVrLittleEndian] }],
};

function open(socket: MemorySocket, clock: ManualClock): Promise<ScuAssociation> {
  return ScuAssociation.over(socket, peer, proposal, TIMEOUT_MS, clock);
}

async function acceptWhenAsked(socket: MemorySocket): Promise<void> {
  const request = decodeAssociateRequest((await socket.nextPdu()).bytes);
  expect(request).toMatchObject({ calledAeTitle: 'ORTHANC', callingAeTitle: 'CTPREP', applicationContext: APPLICATION_CONTEXT });
  socket.send(
    encodeAssociateAccept({
      calledAeTitle: 'ORTHANC',
      callingAeTitle: 'CTPREP',
      applicationContext: APPLICATION_CONTEXT,
      contexts: [{ id: 1, result: ContextResult.Acceptance, transferSyntaxUid: TransferSyntax.ImplicitVrLittleEndian }],
      userInformation: { maxPduLength: 16_384, implementationClassUid: '1.2.3.9' },
    }),
  );
}

it('negotiates, echoes and releases, leaving no timer behind', async () => {
  const clock = new ManualClock();
  const socket = new MemorySocket();
  const [association] = await Promise.all([open(socket, clock), acceptWhenAsked(socket)]);
  expect([...association.contexts.values()]).toEqual([{ abstractSyntaxUid: SopClass.Verification, transferSyntaxUid: TransferSyntax.ImplicitVrLittleEndian }]);
  const echoed = association.echo(1);
  const request = parseCommand((await socket.nextPdu()).bytes.subarray(12));
  socket.send(pDataPdu(1, true, encodeCEchoResponse(request.messageId!, 0)));
  expect(await echoed).toBe(0);
  const released = association.release();
  expect((await socket.nextPdu()).type).toBe(PduType.ReleaseRq);
  socket.send(releaseResponsePdu());
  await released;
  socket.hangUp();
  await new Promise((resolve) => socket.once('close', resolve));
  expect(clock.pendingTimers).toBe(0);
});

it('says who rejected the association and why', async () => {
  const socket = new MemorySocket();
  const opening = open(socket, new ManualClock());
  await socket.nextPdu();
  socket.send(encodeAssociateReject({ result: 1, source: 1, reason: RejectReason.CallingAeNotRecognized }));
  await expect(opening).rejects.toThrow(UnavailableError);
  await expect(opening).rejects.toThrow(/ORTHANC at pacs\.example:4242 rejected the association: .*calling AE title/i);
});

it('gives up on a silent peer after the timeout, not before', async () => {
  const clock = new ManualClock();
  const socket = new MemorySocket();
  let outcome: unknown;
  const opening = open(socket, clock).then(
    () => (outcome = 'opened'),
    (error: unknown) => (outcome = error),
  );
  await socket.nextPdu();
  await clock.advance(TIMEOUT_MS - 1);
  expect(outcome).toBeUndefined();
  await clock.advance(1);
  await opening;
  expect(outcome).toBeInstanceOf(UnavailableError);
  expect(String(outcome)).toMatch(/no answer within 30000 ms/);
});

it('refuses a response to another message than the one it sent', async () => {
  const clock = new ManualClock();
  const socket = new MemorySocket();
  const [association] = await Promise.all([open(socket, clock), acceptWhenAsked(socket)]);
  const echoed = association.echo(1);
  const request = parseCommand((await socket.nextPdu()).bytes.subarray(12));
  socket.send(pDataPdu(1, true, encodeCEchoResponse(request.messageId! + 1, 0)));
  await expect(echoed).rejects.toThrow(/answered message 1 with command 0x8030 for message 2/);
});

it('aborts on a response command set larger than the limit instead of holding it', async () => {
  const clock = new ManualClock();
  const socket = new MemorySocket();
  const [association] = await Promise.all([open(socket, clock), acceptWhenAsked(socket)]);
  const echoed = association.echo(1);
  await socket.nextPdu();
  const chunk = Buffer.alloc(8000);
  for (let i = 0; i < 9; i++) socket.send(Buffer.concat([pDataHeader(1, true, false, chunk.length), chunk]));
  await expect(echoed).rejects.toThrow(/malformed PDU: DIMSE command set over 65536 bytes/);
});
