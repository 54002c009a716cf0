import dcmjsDimse from 'dcmjs-dimse';
import { InvalidInputError, UnavailableError } from '../../../src/errors.js';
import {
  CommandField,
  encodeCEchoRequest,
  encodeCEchoResponse,
  encodeCStoreRequest,
  encodeCStoreResponse,
  parseCommand,
} from '../../../src/dicom/dimse-commands.js';
import { DimseStatus, isStoreSuccess, storeStatusForError } from '../../../src/dicom/dimse-status.js';

describe('DIMSE command sets', () => {
  it('round-trips a C-STORE request and response', () => {
    const request = parseCommand(
      encodeCStoreRequest({ messageId: 7, sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3' }),
    );
    expect(request).toMatchObject({
      commandField: CommandField.CStoreRq,
      messageId: 7,
      affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      affectedSopInstanceUid: '1.2.3',
      hasDataset: true,
    });
    const response = parseCommand(
      encodeCStoreResponse({
        messageIdBeingRespondedTo: 7,
        sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
        sopInstanceUid: '1.2.3',
        status: DimseStatus.OutOfResources,
        errorComment: 'x'.repeat(100),
      }),
    );
    expect(response).toMatchObject({
      commandField: CommandField.CStoreRsp,
      messageIdBeingRespondedTo: 7,
      status: 0xa700,
      hasDataset: false,
    });
    expect(response.errorComment).toHaveLength(64);
  });

  it('round-trips C-ECHO', () => {
    expect(parseCommand(encodeCEchoRequest(3))).toMatchObject({ commandField: CommandField.CEchoRq, messageId: 3, hasDataset: false });
    expect(parseCommand(encodeCEchoResponse(3, 0))).toMatchObject({
      commandField: CommandField.CEchoRsp,
      messageIdBeingRespondedTo: 3,
      status: 0,
    });
  });

  it('refuses a command set without a command field', () => {
    // (0000,0000) UL 10, then only (0000,0110) MessageID US 7
    const onlyMessageId = Buffer.from('00000000040000000a000000' + '0000100102000000' + '0700', 'hex');
    expect(() => parseCommand(onlyMessageId)).toThrow(InvalidInputError);
  });
});

describe('C-STORE status for a failed handler', () => {
  it('maps a full disk, even wrapped, to Out of Resources', () => {
    const full = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    expect(storeStatusForError(full)).toBe(0xa700);
    expect(storeStatusForError(new UnavailableError('spool is full', full))).toBe(0xa700);
    expect(storeStatusForError(Object.assign(new Error('quota'), { code: 'EDQUOT' }))).toBe(0xa700);
  });

  it('maps invalid input to Cannot Understand and anything else to Processing Failure', () => {
    expect(storeStatusForError(new InvalidInputError('no SeriesInstanceUID'))).toBe(0xc000);
    expect(storeStatusForError(new UnavailableError('database gone'))).toBe(0x0110);
    expect(storeStatusForError('a string')).toBe(0x0110);
  });

  it('counts Success and warnings as stored', () => {
    expect([0x0000, 0xb000, 0xb007, 0x0110, 0xa700, 0xc000].map(isStoreSuccess)).toEqual([true, true, true, false, false, false]);
  });
});

describe('hand-written command sets agree with dcmjs-dimse', () => {
  const { Dataset } = dcmjsDimse;
  const { CStoreResponse } = dcmjsDimse.responses;

  it('writes what dcmjs-dimse reads', () => {
    const ours = encodeCStoreResponse({
      messageIdBeingRespondedTo: 9,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: '1.2.3.45',
      status: 0x0110,
      errorComment: 'odd',
    });
    const elements = new Dataset(ours).getElements();
    expect(elements).toMatchObject({
      CommandGroupLength: ours.length - 12,
      AffectedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
      CommandField: 0x8001,
      MessageIDBeingRespondedTo: 9,
      CommandDataSetType: 0x0101,
      Status: 0x0110,
      AffectedSOPInstanceUID: '1.2.3.45',
      ErrorComment: 'odd',
    });
  });

  it('reads what dcmjs-dimse writes', () => {
    const theirs = new CStoreResponse(0xa700, 'disk full');
    theirs.setAffectedSopClassUid('1.2.840.10008.5.1.4.1.1.2');
    theirs.setAffectedSopInstanceUid('1.2.3');
    theirs.setMessageIdBeingRespondedTo(4);
    expect(parseCommand(theirs.getCommandDataset().getDenaturalizedCommandDataset())).toEqual({
      commandField: 0x8001,
      messageId: undefined,
      messageIdBeingRespondedTo: 4,
      affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      affectedSopInstanceUid: '1.2.3',
      status: 0xa700,
      errorComment: 'disk full',
      hasDataset: false,
    });
  });

  it('refuses a truncated command set', () => {
    const bytes = encodeCEchoRequest(1);
    expect(() => parseCommand(bytes.subarray(0, bytes.length - 1))).toThrow(InvalidInputError);
  });
});
