import { InvalidInputError } from '../errors.js';
import { type CommandValues, decodeCommandSet, encodeCommandSet } from './command-set.js';
import { SopClass } from './uids.js';

/** Command Field values (PS3.7 E.1) of the services this layer speaks. */
export const CommandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  CFindRq: 0x0020,
  CFindRsp: 0x8020,
  CMoveRq: 0x0021,
  CMoveRsp: 0x8021,
  CCancelRq: 0x0fff,
} as const;

const DATASET_PRESENT = 0x0102;
const NO_DATASET = 0x0101;
const PRIORITY_MEDIUM = 0x0000;

/** The fields of a received command set that the listener and sender act on. */
export interface DimseCommand {
  commandField: number;
  messageId: number | undefined;
  messageIdBeingRespondedTo: number | undefined;
  affectedSopClassUid: string | undefined;
  affectedSopInstanceUid: string | undefined;
  status: number | undefined;
  errorComment: string | undefined;
  hasDataset: boolean;
  /** C-MOVE responses: the sub-operations (C-STOREs to the move destination) so far; absent in other responses. */
  subOperations?: SubOperations;
}

export interface SubOperations {
  remaining: number | undefined;
  completed: number | undefined;
  failed: number | undefined;
  warning: number | undefined;
}

export function parseCommand(commandSet: Buffer): DimseCommand {
  const values = decodeCommandSet(commandSet);
  const commandField = values.CommandField;
  if (typeof commandField !== 'number') {
    throw new InvalidInputError('DIMSE command set without a Command Field (0000,0100)');
  }
  return {
    commandField,
    messageId: numberOrUndefined(values.MessageID),
    messageIdBeingRespondedTo: numberOrUndefined(values.MessageIDBeingRespondedTo),
    affectedSopClassUid: stringOrUndefined(values.AffectedSOPClassUID),
    affectedSopInstanceUid: stringOrUndefined(values.AffectedSOPInstanceUID),
    status: numberOrUndefined(values.Status),
    errorComment: stringOrUndefined(values.ErrorComment),
    hasDataset: values.CommandDataSetType !== NO_DATASET,
    ...subOperationsOf(values),
  };
}

function subOperationsOf(values: CommandValues): { subOperations?: SubOperations } {
  const subOperations = {
    remaining: numberOrUndefined(values.NumberOfRemainingSuboperations),
    completed: numberOrUndefined(values.NumberOfCompletedSuboperations),
    failed: numberOrUndefined(values.NumberOfFailedSuboperations),
    warning: numberOrUndefined(values.NumberOfWarningSuboperations),
  };
  return Object.values(subOperations).some((count) => count !== undefined) ? { subOperations } : {};
}

export function encodeCStoreRequest(fields: { messageId: number; sopClassUid: string; sopInstanceUid: string }): Buffer {
  return encodeCommandSet({
    AffectedSOPClassUID: fields.sopClassUid,
    CommandField: CommandField.CStoreRq,
    MessageID: fields.messageId,
    Priority: PRIORITY_MEDIUM,
    CommandDataSetType: DATASET_PRESENT,
    AffectedSOPInstanceUID: fields.sopInstanceUid,
  });
}

export function encodeCStoreResponse(fields: {
  messageIdBeingRespondedTo: number;
  sopClassUid: string;
  sopInstanceUid: string;
  status: number;
  errorComment?: string;
}): Buffer {
  return encodeCommandSet({
    AffectedSOPClassUID: fields.sopClassUid,
    CommandField: CommandField.CStoreRsp,
    MessageIDBeingRespondedTo: fields.messageIdBeingRespondedTo,
    CommandDataSetType: NO_DATASET,
    Status: fields.status,
    AffectedSOPInstanceUID: fields.sopInstanceUid,
    ...(fields.errorComment ? { ErrorComment: errorComment(fields.errorComment) } : {}),
  });
}

export function encodeCEchoRequest(messageId: number): Buffer {
  return encodeCommandSet({
    AffectedSOPClassUID: SopClass.Verification,
    CommandField: CommandField.CEchoRq,
    MessageID: messageId,
    CommandDataSetType: NO_DATASET,
  });
}

export function encodeCEchoResponse(messageIdBeingRespondedTo: number, status: number): Buffer {
  return encodeCommandSet({
    AffectedSOPClassUID: SopClass.Verification,
    CommandField: CommandField.CEchoRsp,
    MessageIDBeingRespondedTo: messageIdBeingRespondedTo,
    CommandDataSetType: NO_DATASET,
    Status: status,
  });
}

/** C-FIND-RQ: an identifier (the query) follows as the dataset. */
export function encodeCFindRequest(fields: { messageId: number; sopClassUid: string }): Buffer {
  return encodeCommandSet({
    AffectedSOPClassUID: fields.sopClassUid,
    CommandField: CommandField.CFindRq,
    MessageID: fields.messageId,
    Priority: PRIORITY_MEDIUM,
    CommandDataSetType: DATASET_PRESENT,
  });
}

/** C-MOVE-RQ: the identifier (what to move) follows as the dataset; the SCP stores it to moveDestination. */
export function encodeCMoveRequest(fields: { messageId: number; sopClassUid: string; moveDestination: string }): Buffer {
  return encodeCommandSet({
    AffectedSOPClassUID: fields.sopClassUid,
    CommandField: CommandField.CMoveRq,
    MessageID: fields.messageId,
    MoveDestination: fields.moveDestination,
    Priority: PRIORITY_MEDIUM,
    CommandDataSetType: DATASET_PRESENT,
  });
}

/** C-CANCEL-RQ of the C-FIND or C-MOVE sent as messageIdBeingRespondedTo. */
export function encodeCCancelRequest(messageIdBeingRespondedTo: number): Buffer {
  return encodeCommandSet({
    CommandField: CommandField.CCancelRq,
    MessageIDBeingRespondedTo: messageIdBeingRespondedTo,
    CommandDataSetType: NO_DATASET,
  });
}

/** Error Comment is LO: at most 64 characters, no backslash or control characters. */
function errorComment(comment: string): string {
  return comment.replace(/[\\\x00-\x1f]/g, ' ').slice(0, 64);
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
