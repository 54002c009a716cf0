import { PduType } from './pdu-reader.js';

/**
 * The fixed-layout PDUs (PS3.8 section 9.3); association request/accept/reject are in
 * association-pdu.ts. The P-DATA-TF header is written apart from its value so that a dataset never
 * gets copied into a PDU buffer (the value goes to the socket as the very buffer read from the file).
 */

const PDATA_HEADER_LENGTH = 12;

/** Header of a P-DATA-TF PDU holding one PDV of valueLength bytes; write the value right after it. */
export function pDataHeader(
  presentationContextId: number,
  isCommand: boolean,
  isLast: boolean,
  valueLength: number,
): Buffer {
  const header = Buffer.allocUnsafe(PDATA_HEADER_LENGTH);
  header[0] = PduType.PDataTf;
  header[1] = 0;
  header.writeUInt32BE(valueLength + 6, 2);
  header.writeUInt32BE(valueLength + 2, 6);
  header[10] = presentationContextId;
  header[11] = (isCommand ? 0x01 : 0x00) | (isLast ? 0x02 : 0x00);
  return header;
}

/** A whole P-DATA-TF PDU for a small value (a command set). */
export function pDataPdu(presentationContextId: number, isCommand: boolean, value: Buffer): Buffer {
  return Buffer.concat([pDataHeader(presentationContextId, isCommand, true, value.length), value]);
}

function fixedPdu(type: number, last4: [number, number, number, number]): Buffer {
  return Buffer.from([type, 0, 0, 0, 0, 4, ...last4]);
}

export function releaseRequestPdu(): Buffer {
  return fixedPdu(PduType.ReleaseRq, [0, 0, 0, 0]);
}

export function releaseResponsePdu(): Buffer {
  return fixedPdu(PduType.ReleaseRp, [0, 0, 0, 0]);
}

/** A-ABORT; source 0 = service user, 2 = service provider; reason 0 = not specified (PS3.8 9.3.8). */
export function abortPdu(source: 0 | 2, reason: number): Buffer {
  return fixedPdu(PduType.Abort, [0, 0, source, reason]);
}

export const AbortReason = {
  NotSpecified: 0,
  UnrecognizedPdu: 1,
  UnexpectedPdu: 2,
  UnrecognizedPduParameter: 4,
  UnexpectedPduParameter: 5,
  InvalidPduParameterValue: 6,
} as const;
