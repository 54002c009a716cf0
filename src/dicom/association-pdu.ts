import { InvalidInputError } from '../errors.js';
import { isAeTitle, isReceivedUid } from '../validation.js';

/**
 * A-ASSOCIATE-RQ, -AC and -RJ PDUs (PS3.8 9.3.2-9.3.4), encoded and decoded here. Each PDU is
 * handled whole, header included (type, reserved byte, 4-byte big-endian length); PduReader has
 * already bounded its length.
 */

export const APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

export interface PresentationContextProposal {
  readonly id: number;
  readonly abstractSyntaxUid: string;
  readonly transferSyntaxUids: readonly string[];
}

/** Result of one presentation context in an A-ASSOCIATE-AC (PS3.8 Table 9-18). */
export const ContextResult = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

export interface PresentationContextAnswer {
  readonly id: number;
  readonly result: number;
  /** The accepted transfer syntax; a rejected context carries none that counts. */
  readonly transferSyntaxUid: string;
}

export interface UserInformation {
  /** Largest P-DATA-TF PDU the sender of this PDU accepts; 0: no limit. */
  readonly maxPduLength: number;
  readonly implementationClassUid: string;
  readonly implementationVersionName?: string;
}

export interface AssociateRequestPdu {
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly applicationContext: string;
  readonly contexts: readonly PresentationContextProposal[];
  readonly userInformation: UserInformation;
}

export interface AssociateAcceptPdu {
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly applicationContext: string;
  readonly contexts: readonly PresentationContextAnswer[];
  readonly userInformation: UserInformation;
}

/** A-ASSOCIATE-RJ fields (PS3.8 Table 9-21). */
export interface AssociateRejectPdu {
  /** 1 rejected-permanent, 2 rejected-transient. */
  readonly result: 1 | 2;
  /** 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation). */
  readonly source: 1 | 2 | 3;
  readonly reason: number;
}

export const RejectReason = {
  /** source 1 */
  NoReasonGiven: 1,
  ApplicationContextNotSupported: 2,
  CallingAeNotRecognized: 3,
  CalledAeNotRecognized: 7,
  /** source 3 */
  TemporaryCongestion: 1,
  LocalLimitExceeded: 2,
} as const;

const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaxLength: 0x51,
  ImplementationClassUid: 0x52,
  ImplementationVersionName: 0x55,
} as const;

const PduTypeByte = { AssociateRq: 0x01, AssociateAc: 0x02, AssociateRj: 0x03 } as const;

// ------------------------------------------------------------------------------------ encoding

function text(value: string): Buffer {
  return Buffer.from(value, 'latin1');
}

function item(type: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt8(type, 0);
  header.writeUInt16BE(value.length, 2);
  return Buffer.concat([header, value]);
}

function aeTitleField(title: string): Buffer {
  if (!isAeTitle(title)) throw new InvalidInputError(`"${title}" is not an AE title`);
  return text(title.padEnd(16, ' '));
}

function userInformationItem(info: UserInformation): Buffer {
  const maxLength = Buffer.alloc(4);
  maxLength.writeUInt32BE(info.maxPduLength);
  const parts = [item(ItemType.MaxLength, maxLength), item(ItemType.ImplementationClassUid, text(info.implementationClassUid))];
  if (info.implementationVersionName) parts.push(item(ItemType.ImplementationVersionName, text(info.implementationVersionName)));
  return item(ItemType.UserInformation, Buffer.concat(parts));
}

function pdu(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

function fixedPart(calledAeTitle: string, callingAeTitle: string): Buffer {
  const version = Buffer.alloc(4);
  version.writeUInt16BE(1, 0);
  return Buffer.concat([version, aeTitleField(calledAeTitle), aeTitleField(callingAeTitle), Buffer.alloc(32)]);
}

function contextHeader(id: number, resultOrZero: number): Buffer {
  return Buffer.from([id, 0, resultOrZero, 0]);
}

export function encodeAssociateRequest(request: AssociateRequestPdu): Buffer {
  const contexts = request.contexts.map((context) =>
    item(
      ItemType.PresentationContextRq,
      Buffer.concat([
        contextHeader(context.id, 0),
        item(ItemType.AbstractSyntax, text(context.abstractSyntaxUid)),
        ...context.transferSyntaxUids.map((uid) => item(ItemType.TransferSyntax, text(uid))),
      ]),
    ),
  );
  return pdu(
    PduTypeByte.AssociateRq,
    Buffer.concat([
      fixedPart(request.calledAeTitle, request.callingAeTitle),
      item(ItemType.ApplicationContext, text(request.applicationContext)),
      ...contexts,
      userInformationItem(request.userInformation),
    ]),
  );
}

export function encodeAssociateAccept(accept: AssociateAcceptPdu): Buffer {
  const contexts = accept.contexts.map((context) =>
    item(
      ItemType.PresentationContextAc,
      Buffer.concat([contextHeader(context.id, context.result), item(ItemType.TransferSyntax, text(context.transferSyntaxUid))]),
    ),
  );
  return pdu(
    PduTypeByte.AssociateAc,
    Buffer.concat([
      fixedPart(accept.calledAeTitle, accept.callingAeTitle),
      item(ItemType.ApplicationContext, text(accept.applicationContext)),
      ...contexts,
      userInformationItem(accept.userInformation),
    ]),
  );
}

export function encodeAssociateReject(reject: AssociateRejectPdu): Buffer {
  return pdu(PduTypeByte.AssociateRj, Buffer.from([0, reject.result, reject.source, reject.reason]));
}

// ------------------------------------------------------------------------------------ decoding

function fail(message: string): never {
  throw new InvalidInputError(message);
}

/** The items of a variable field, each as [type, value]; a length past the end is refused. */
function items(bytes: Buffer, where: string): [number, Buffer][] {
  const found: [number, Buffer][] = [];
  for (let at = 0; at < bytes.length; ) {
    if (at + 4 > bytes.length) fail(`${where}: item header cut short`);
    const type = bytes.readUInt8(at);
    const length = bytes.readUInt16BE(at + 2);
    if (at + 4 + length > bytes.length) fail(`${where}: item 0x${type.toString(16)} of ${length} bytes runs past the end`);
    found.push([type, bytes.subarray(at + 4, at + 4 + length)]);
    at += 4 + length;
  }
  return found;
}

/** UIDs and AE titles: printable ASCII; trailing NUL padding and spaces dropped. */
function uidText(value: Buffer, what: string): string {
  const decoded = value.toString('latin1').replace(/[\0 ]+$/, '');
  if (!isReceivedUid(decoded)) fail(`${what} is not a UID: ${JSON.stringify(decoded.slice(0, 80))}`);
  return decoded;
}

function aeTitleText(value: Buffer, what: string): string {
  const decoded = value.toString('latin1').trim();
  if (decoded.length === 0 || /[^\x20-\x7e]|\\/.test(decoded)) fail(`${what} is not an AE title: ${JSON.stringify(decoded)}`);
  return decoded;
}

function body(bytes: Buffer, type: number, name: string): Buffer {
  if (bytes.length < 6 || bytes.readUInt8(0) !== type) fail(`not an ${name} PDU`);
  const length = bytes.readUInt32BE(2);
  if (bytes.length !== 6 + length) fail(`${name}: length field says ${length} bytes, the PDU has ${bytes.length - 6}`);
  return bytes.subarray(6);
}

function decodeUserInformation(value: Buffer | undefined, name: string): UserInformation {
  if (!value) fail(`${name} has no user information item`);
  let maxPduLength: number | undefined;
  let implementationClassUid = '';
  let implementationVersionName: string | undefined;
  for (const [type, sub] of items(value, `${name} user information`)) {
    if (type === ItemType.MaxLength) {
      if (sub.length !== 4) fail(`${name}: maximum length sub-item of ${sub.length} bytes`);
      maxPduLength = sub.readUInt32BE(0);
    } else if (type === ItemType.ImplementationClassUid) {
      implementationClassUid = uidText(sub, `${name} implementation class UID`);
    } else if (type === ItemType.ImplementationVersionName) {
      implementationVersionName = sub.toString('latin1').trim();
    }
  }
  if (maxPduLength === undefined) fail(`${name} has no maximum length sub-item`);
  return { maxPduLength, implementationClassUid, ...(implementationVersionName ? { implementationVersionName } : {}) };
}

function decodeFixed(value: Buffer, name: string) {
  if (value.length < 68) fail(`${name}: ${value.length} bytes, shorter than its fixed fields`);
  if ((value.readUInt16BE(0) & 1) === 0) fail(`${name}: protocol version ${value.readUInt16BE(0)} does not include version 1`);
  return {
    calledAeTitle: aeTitleText(value.subarray(4, 20), 'called AE title'),
    callingAeTitle: aeTitleText(value.subarray(20, 36), 'calling AE title'),
    variable: items(value.subarray(68), name),
  };
}

export function decodeAssociateRequest(bytes: Buffer): AssociateRequestPdu {
  const name = 'A-ASSOCIATE-RQ';
  const { calledAeTitle, callingAeTitle, variable } = decodeFixed(body(bytes, PduTypeByte.AssociateRq, name), name);
  let applicationContext: string | undefined;
  let userInformation: Buffer | undefined;
  const contexts: PresentationContextProposal[] = [];
  for (const [type, value] of variable) {
    if (type === ItemType.ApplicationContext) applicationContext = uidText(value, 'application context');
    else if (type === ItemType.UserInformation) userInformation = value;
    else if (type === ItemType.PresentationContextRq) {
      if (value.length < 4) fail(`${name}: presentation context item of ${value.length} bytes`);
      const id = value.readUInt8(0);
      if (id % 2 === 0) fail(`${name}: presentation context id ${id} is even`);
      let abstractSyntaxUid: string | undefined;
      const transferSyntaxUids: string[] = [];
      for (const [subType, sub] of items(value.subarray(4), `${name} presentation context ${id}`)) {
        if (subType === ItemType.AbstractSyntax) abstractSyntaxUid = uidText(sub, `abstract syntax of context ${id}`);
        else if (subType === ItemType.TransferSyntax) transferSyntaxUids.push(uidText(sub, `transfer syntax of context ${id}`));
      }
      if (!abstractSyntaxUid) fail(`${name}: presentation context ${id} has no abstract syntax`);
      if (transferSyntaxUids.length === 0) fail(`${name}: presentation context ${id} proposes no transfer syntax`);
      if (contexts.some((context) => context.id === id)) fail(`${name}: presentation context id ${id} appears twice`);
      contexts.push({ id, abstractSyntaxUid, transferSyntaxUids });
    }
  }
  if (!applicationContext) fail(`${name} has no application context`);
  return { calledAeTitle, callingAeTitle, applicationContext, contexts, userInformation: decodeUserInformation(userInformation, name) };
}

export function decodeAssociateAccept(bytes: Buffer): AssociateAcceptPdu {
  const name = 'A-ASSOCIATE-AC';
  const { calledAeTitle, callingAeTitle, variable } = decodeFixed(body(bytes, PduTypeByte.AssociateAc, name), name);
  let applicationContext: string | undefined;
  let userInformation: Buffer | undefined;
  const contexts: PresentationContextAnswer[] = [];
  for (const [type, value] of variable) {
    if (type === ItemType.ApplicationContext) applicationContext = uidText(value, 'application context');
    else if (type === ItemType.UserInformation) userInformation = value;
    else if (type === ItemType.PresentationContextAc) {
      if (value.length < 4) fail(`${name}: presentation context item of ${value.length} bytes`);
      const id = value.readUInt8(0);
      const result = value.readUInt8(2);
      const syntax = items(value.subarray(4), `${name} presentation context ${id}`).find(([subType]) => subType === ItemType.TransferSyntax);
      const transferSyntaxUid = syntax && result === ContextResult.Acceptance ? uidText(syntax[1], `transfer syntax of context ${id}`) : '';
      contexts.push({ id, result, transferSyntaxUid });
    }
  }
  if (!applicationContext) fail(`${name} has no application context`);
  return { calledAeTitle, callingAeTitle, applicationContext, contexts, userInformation: decodeUserInformation(userInformation, name) };
}

export function decodeAssociateReject(bytes: Buffer): AssociateRejectPdu {
  const value = body(bytes, PduTypeByte.AssociateRj, 'A-ASSOCIATE-RJ');
  if (value.length !== 4) fail(`A-ASSOCIATE-RJ of ${value.length} bytes, 4 expected`);
  const result = value.readUInt8(1);
  const source = value.readUInt8(2);
  if (result !== 1 && result !== 2) fail(`A-ASSOCIATE-RJ result ${result}`);
  if (source < 1 || source > 3) fail(`A-ASSOCIATE-RJ source ${source}`);
  return { result, source: source as 1 | 2 | 3, reason: value.readUInt8(3) };
}
