/**
 * C-FIND and C-MOVE as a user over an in-memory stream, the test playing the PACS: many responses
 * in one packet each reach the caller in order with their identifier, C-CANCEL names the request,
 * a stray dataset and an oversized one are refused; identifiers round-trip through dcmjs.
 */
import { APPLICATION_CONTEXT, ContextResult, decodeAssociateRequest, encodeAssociateAccept } from '../../../src/dicom/association-pdu.js';
import { encodeCommandSet } from '../../../src/dicom/command-set.js';
import { CommandField, encodeCFindRequest, encodeCMoveRequest, parseCommand } from '../../../src/dicom/dimse-commands.js';
import { DimseStatus } from '../../../src/dicom/dimse-status.js';
import { decodeIdentifier, encodeIdentifier } from '../../../src/dicom/identifier.js';
import { pDataHeader, pDataPdu } from '../../../src/dicom/pdu-writer.js';
import { ScuAssociation } from '../../../src/dicom/scu-association.js';
import { SopClass, TransferSyntax } from '../../../src/dicom/uids.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { MemorySocket } from '../../helpers/memory-socket.js';

const IMPLICIT = TransferSyntax.ImplicitVrLittleEndian;
const peer = { aeTitle: 'ORTHANC', host: 'pacs.example', port: 4242 };

async function openQueryRetrieve(socket: MemorySocket): Promise<ScuAssociation> {
  const contexts = [
    { abstractSyntaxUid: SopClass.StudyRootFind, transferSyntaxUids: [IMPLICIT] },
    { abstractSyntaxUid: SopClass.StudyRootMove, transferSyntaxUids: [IMPLICIT] },
  ];
  const opening = ScuAssociation.over(socket, peer, { callingAeTitle: 'CTPREP', contexts }, 30_000, new ManualClock());
  const request = decodeAssociateRequest((await socket.nextPdu()).bytes);
  socket.send(
    encodeAssociateAccept({
      calledAeTitle: 'ORTHANC',
      callingAeTitle: 'CTPREP',
      applicationContext: APPLICATION_CONTEXT,
      contexts: request.contexts.map((context) => ({ id: context.id, result: ContextResult.Acceptance, transferSyntaxUid: IMPLICIT })),
      userInformation: { maxPduLength: 16_384, implementationClassUid: '1.2.3.9' },
    }),
  );
  return opening;
}

function findResponse(messageId: number, status: number, withDataset: boolean): Buffer {
  return pDataPdu(
    1,
    true,
    encodeCommandSet({
      AffectedSOPClassUID: SopClass.StudyRootFind,
      CommandField: CommandField.CFindRsp,
      MessageIDBeingRespondedTo: messageId,
      CommandDataSetType: withDataset ? 0x0000 : 0x0101,
      Status: status,
    }),
  );
}

function match(seriesUid: string): Buffer {
  return pDataPdu(1, false, encodeIdentifier({ QueryRetrieveLevel: 'SERIES', SeriesInstanceUID: seriesUid, ConvolutionKernel: 'B70f' }, IMPLICIT));
}

async function sentRequest(socket: MemorySocket) {
  const command = parseCommand((await socket.nextPdu()).bytes.subarray(12));
  const identifier = decodeIdentifier((await socket.nextPdu()).bytes.subarray(12), IMPLICIT);
  return { command, identifier };
}

it('hands over every C-FIND match of a packet, in order, then the final status', async () => {
  const socket = new MemorySocket();
  const association = await openQueryRetrieve(socket);
  const identifier = encodeIdentifier({ QueryRetrieveLevel: 'SERIES', StudyInstanceUID: '1.2.3', SeriesInstanceUID: '', ConvolutionKernel: 'B70f' }, IMPLICIT);
  const messageId = await association.request(1, (id) => encodeCFindRequest({ messageId: id, sopClassUid: SopClass.StudyRootFind }), identifier);
  const sent = await sentRequest(socket);
  expect(sent.command).toMatchObject({ commandField: CommandField.CFindRq, messageId, affectedSopClassUid: SopClass.StudyRootFind, hasDataset: true });
  expect(sent.identifier).toEqual({ QueryRetrieveLevel: 'SERIES', StudyInstanceUID: '1.2.3', SeriesInstanceUID: '', ConvolutionKernel: 'B70f' });

  socket.send(
    Buffer.concat([
      findResponse(messageId, DimseStatus.Pending, true),
      match('1.2.3.1'),
      findResponse(messageId, DimseStatus.PendingWithWarning, true),
      match('1.2.3.2'),
      findResponse(messageId, DimseStatus.Success, false),
    ]),
  );
  const responses = [];
  for (let i = 0; i < 3; i++) responses.push(await association.nextResponse(messageId, CommandField.CFindRsp));
  expect(responses.map((r) => [r.command.status, r.dataset && decodeIdentifier(r.dataset, IMPLICIT).SeriesInstanceUID])).toEqual([
    [DimseStatus.Pending, '1.2.3.1'],
    [DimseStatus.PendingWithWarning, '1.2.3.2'],
    [DimseStatus.Success, undefined],
  ]);
  association.abort();
});

it('sends C-CANCEL naming the request, and reads on to the final response', async () => {
  const socket = new MemorySocket();
  const association = await openQueryRetrieve(socket);
  const identifier = encodeIdentifier({ QueryRetrieveLevel: 'IMAGE', SeriesInstanceUID: '1.2.3.1', ConvolutionKernel: '' }, IMPLICIT);
  const messageId = await association.request(1, (id) => encodeCFindRequest({ messageId: id, sopClassUid: SopClass.StudyRootFind }), identifier);
  await sentRequest(socket);
  association.cancel(1, messageId);
  const cancel = parseCommand((await socket.nextPdu()).bytes.subarray(12));
  expect(cancel).toMatchObject({ commandField: CommandField.CCancelRq, messageIdBeingRespondedTo: messageId, hasDataset: false });
  socket.send(Buffer.concat([findResponse(messageId, DimseStatus.Pending, true), match('1.2.3.1'), findResponse(messageId, DimseStatus.Cancel, false)]));
  expect((await association.nextResponse(messageId, CommandField.CFindRsp)).command.status).toBe(DimseStatus.Pending);
  expect((await association.nextResponse(messageId, CommandField.CFindRsp)).command.status).toBe(DimseStatus.Cancel);
  association.abort();
});

it('reads C-MOVE sub-operation counts and the list of failed instances', async () => {
  const socket = new MemorySocket();
  const association = await openQueryRetrieve(socket);
  const identifier = encodeIdentifier({ QueryRetrieveLevel: 'SERIES', StudyInstanceUID: '1.2.3', SeriesInstanceUID: '1.2.3.1' }, IMPLICIT);
  const encode = (id: number) => encodeCMoveRequest({ messageId: id, sopClassUid: SopClass.StudyRootMove, moveDestination: 'CTPREP' });
  const messageId = await association.request(3, encode, identifier);
  const sent = await sentRequest(socket);
  expect(sent.command).toMatchObject({ commandField: CommandField.CMoveRq, messageId, affectedSopClassUid: SopClass.StudyRootMove });
  const moveResponse = (status: number, counts: [number, number, number], withDataset: boolean) =>
    pDataPdu(
      3,
      true,
      encodeCommandSet({
        AffectedSOPClassUID: SopClass.StudyRootMove,
        CommandField: CommandField.CMoveRsp,
        MessageIDBeingRespondedTo: messageId,
        CommandDataSetType: withDataset ? 0x0000 : 0x0101,
        Status: status,
        NumberOfRemainingSuboperations: counts[0],
        NumberOfCompletedSuboperations: counts[1],
        NumberOfFailedSuboperations: counts[2],
        NumberOfWarningSuboperations: 0,
      }),
    );
  socket.send(
    Buffer.concat([
      moveResponse(DimseStatus.Pending, [2, 1, 0], false),
      moveResponse(DimseStatus.SuboperationsCompleteWithFailures, [0, 2, 1], true),
      pDataPdu(3, false, encodeIdentifier({ FailedSOPInstanceUIDList: '1.2.3.1.9' }, IMPLICIT)),
    ]),
  );
  const pending = await association.nextResponse(messageId, CommandField.CMoveRsp);
  expect(pending.command.subOperations).toEqual({ remaining: 2, completed: 1, failed: 0, warning: 0 });
  const final = await association.nextResponse(messageId, CommandField.CMoveRsp);
  expect(final.command).toMatchObject({ status: 0xb000, subOperations: { remaining: 0, completed: 2, failed: 1, warning: 0 } });
  expect(decodeIdentifier(final.dataset!, IMPLICIT).FailedSOPInstanceUIDList).toBe('1.2.3.1.9');
  association.abort();
});

it('refuses a dataset that no response announced', async () => {
  const socket = new MemorySocket();
  const association = await openQueryRetrieve(socket);
  const messageId = await association.request(1, (id) => encodeCFindRequest({ messageId: id, sopClassUid: SopClass.StudyRootFind }), encodeIdentifier({ PatientID: '' }, IMPLICIT));
  await sentRequest(socket);
  socket.send(match('1.2.3.1'));
  await expect(association.nextResponse(messageId, CommandField.CFindRsp)).rejects.toThrow(/malformed PDU: unexpected dataset PDV in a response/);
});

it('aborts on a response dataset larger than the limit instead of holding it', async () => {
  const socket = new MemorySocket();
  const association = await openQueryRetrieve(socket);
  const messageId = await association.request(1, (id) => encodeCFindRequest({ messageId: id, sopClassUid: SopClass.StudyRootFind }), encodeIdentifier({ PatientID: '' }, IMPLICIT));
  await sentRequest(socket);
  socket.send(findResponse(messageId, DimseStatus.Pending, true));
  const chunk = Buffer.alloc(200_000);
  for (let i = 0; i < 22; i++) socket.send(Buffer.concat([pDataHeader(1, false, false, chunk.length), chunk]));
  await expect(association.nextResponse(messageId, CommandField.CFindRsp)).rejects.toThrow(/malformed PDU: response dataset over 4194304 bytes/);
});

it('round-trips identifiers with empty return keys, ranges and numbers', () => {
  for (const syntax of [IMPLICIT, TransferSyntax.ExplicitVrLittleEndian]) {
    const bytes = encodeIdentifier({ QueryRetrieveLevel: 'STUDY', StudyDate: '20200101-20201231', StudyDescription: '*THORAX*', PatientID: '', NumberOfStudyRelatedSeries: 3 }, syntax);
    expect(decodeIdentifier(bytes, syntax)).toEqual({ QueryRetrieveLevel: 'STUDY', StudyDate: '20200101-20201231', StudyDescription: '*THORAX*', PatientID: '', NumberOfStudyRelatedSeries: 3 });
  }
});
