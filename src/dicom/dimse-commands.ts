import dcmjsDimse from 'dcmjs-dimse';
import { InvalidInputError } from '../errors.js';

const { Dataset } = dcmjsDimse;
const { CStoreRequest, CEchoRequest } = dcmjsDimse.requests;
const { CStoreResponse, CEchoResponse } = dcmjsDimse.responses;

/** Command Field values (PS3.7 E.1) of the services this layer speaks. */
export const CommandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  CCancelRq: 0x0fff,
} as const;

const NO_DATASET = 0x0101;

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
}

/** Decodes a command set (always Implicit VR Little Endian) with dcmjs-dimse. */
export function parseCommand(commandSet: Buffer): DimseCommand {
  let elements: Record<string, unknown>;
  try {
    elements = new Dataset(commandSet).getElements();
  } catch (error) {
    throw new InvalidInputError(`unreadable DIMSE command set of ${commandSet.length} bytes`, error);
  }
  const commandField = elements.CommandField;
  if (typeof commandField !== 'number') {
    throw new InvalidInputError('DIMSE command set without a Command Field (0000,0100)');
  }
  return {
    commandField,
    messageId: numberOrUndefined(elements.MessageID),
    messageIdBeingRespondedTo: numberOrUndefined(elements.MessageIDBeingRespondedTo),
    affectedSopClassUid: stringOrUndefined(elements.AffectedSOPClassUID),
    affectedSopInstanceUid: stringOrUndefined(elements.AffectedSOPInstanceUID),
    status: numberOrUndefined(elements.Status),
    errorComment: stringOrUndefined(elements.ErrorComment),
    hasDataset: elements.CommandDataSetType !== NO_DATASET,
  };
}

export function encodeCStoreRequest(fields: {
  messageId: number;
  sopClassUid: string;
  sopInstanceUid: string;
}): Buffer {
  // No dataset or file argument: the dataset bytes are streamed by the caller, never parsed here.
  const request = new CStoreRequest(undefined as unknown as string);
  request.setAffectedSopClassUid(fields.sopClassUid);
  request.setAffectedSopInstanceUid(fields.sopInstanceUid);
  request.setMessageId(fields.messageId);
  request.getCommandDataset().setElement('CommandDataSetType', 0x0102 as unknown as string);
  return request.getCommandDataset().getDenaturalizedCommandDataset();
}

export function encodeCStoreResponse(fields: {
  messageIdBeingRespondedTo: number;
  sopClassUid: string;
  sopInstanceUid: string;
  status: number;
  errorComment?: string;
}): Buffer {
  const response = new CStoreResponse(fields.status, limitComment(fields.errorComment) as string);
  response.setAffectedSopClassUid(fields.sopClassUid);
  response.setAffectedSopInstanceUid(fields.sopInstanceUid);
  response.setMessageIdBeingRespondedTo(fields.messageIdBeingRespondedTo);
  return response.getCommandDataset().getDenaturalizedCommandDataset();
}

export function encodeCEchoRequest(messageId: number): Buffer {
  const request = new CEchoRequest();
  request.setMessageId(messageId);
  return request.getCommandDataset().getDenaturalizedCommandDataset();
}

export function encodeCEchoResponse(messageIdBeingRespondedTo: number, status: number): Buffer {
  const response = new CEchoResponse(status, undefined as unknown as string);
  response.setMessageIdBeingRespondedTo(messageIdBeingRespondedTo);
  return response.getCommandDataset().getDenaturalizedCommandDataset();
}

/** Error Comment is LO: at most 64 characters. */
function limitComment(comment: string | undefined): string | undefined {
  return comment === undefined ? undefined : comment.slice(0, 64);
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
