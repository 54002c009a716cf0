import { InvalidInputError } from '../errors.js';

/**
 * DIMSE command sets (group 0000, always Implicit VR Little Endian, PS3.7 section 6.3 and E.1),
 * encoded and decoded by hand. Why not dcmjs-dimse's Command/Dataset, which we used first: every
 * encode goes through dcmjs's WriteBufferStream, which allocates zero-filled 256 KiB blocks (two
 * per command set), and every decode naturalizes through the whole dictionary. Profiling the
 * ingest benchmark showed 5.5 % of the listener's time in GC, for ~200-byte messages sent twice
 * per instance. A command set is a flat list of a dozen fixed elements, so it is written here.
 */

type CommandVr = 'UL' | 'US' | 'UI' | 'AE' | 'LO' | 'SH';

/** The command elements we read or write, by element number (group 0000). */
const ELEMENTS: Record<number, { keyword: string; vr: CommandVr }> = {
  0x0000: { keyword: 'CommandGroupLength', vr: 'UL' },
  0x0002: { keyword: 'AffectedSOPClassUID', vr: 'UI' },
  0x0003: { keyword: 'RequestedSOPClassUID', vr: 'UI' },
  0x0100: { keyword: 'CommandField', vr: 'US' },
  0x0110: { keyword: 'MessageID', vr: 'US' },
  0x0120: { keyword: 'MessageIDBeingRespondedTo', vr: 'US' },
  0x0600: { keyword: 'MoveDestination', vr: 'AE' },
  0x0700: { keyword: 'Priority', vr: 'US' },
  0x0800: { keyword: 'CommandDataSetType', vr: 'US' },
  0x0900: { keyword: 'Status', vr: 'US' },
  0x0902: { keyword: 'ErrorComment', vr: 'LO' },
  0x0903: { keyword: 'ErrorID', vr: 'US' },
  0x1000: { keyword: 'AffectedSOPInstanceUID', vr: 'UI' },
  0x1001: { keyword: 'RequestedSOPInstanceUID', vr: 'UI' },
  0x1020: { keyword: 'NumberOfRemainingSuboperations', vr: 'US' },
  0x1021: { keyword: 'NumberOfCompletedSuboperations', vr: 'US' },
  0x1022: { keyword: 'NumberOfFailedSuboperations', vr: 'US' },
  0x1023: { keyword: 'NumberOfWarningSuboperations', vr: 'US' },
  0x1030: { keyword: 'MoveOriginatorApplicationEntityTitle', vr: 'AE' },
  0x1031: { keyword: 'MoveOriginatorMessageID', vr: 'US' },
};

const KEYWORD_TO_ELEMENT = new Map(Object.entries(ELEMENTS).map(([element, { keyword }]) => [keyword, Number(element)]));

export type CommandValues = Record<string, number | string>;

/** Reads the elements of a command set we know; others are skipped. */
export function decodeCommandSet(bytes: Buffer): CommandValues {
  const values: CommandValues = {};
  let pos = 0;
  while (pos + 8 <= bytes.length) {
    const group = bytes.readUInt16LE(pos);
    const element = bytes.readUInt16LE(pos + 2);
    const length = bytes.readUInt32LE(pos + 4);
    const start = pos + 8;
    if (group !== 0x0000 || start + length > bytes.length) {
      throw new InvalidInputError(`malformed DIMSE command set at byte ${pos} (${bytes.length} bytes)`);
    }
    const known = ELEMENTS[element];
    if (known) values[known.keyword] = decodeValue(known.vr, bytes.subarray(start, start + length));
    pos = start + length;
  }
  if (pos !== bytes.length) throw new InvalidInputError(`DIMSE command set ends inside an element (${bytes.length} bytes)`);
  return values;
}

function decodeValue(vr: CommandVr, value: Buffer): number | string {
  switch (vr) {
    case 'US':
      return value.length >= 2 ? value.readUInt16LE(0) : 0;
    case 'UL':
      return value.length >= 4 ? value.readUInt32LE(0) : 0;
    default:
      return value.toString('latin1').replace(/[\0 ]+$/, '').trimStart();
  }
}

/** Writes a command set: the given elements in tag order, preceded by the group length. */
export function encodeCommandSet(values: CommandValues): Buffer {
  const elements = Object.entries(values)
    .map(([keyword, value]) => {
      const element = KEYWORD_TO_ELEMENT.get(keyword);
      if (element === undefined || element === 0x0000) throw new Error(`not a command element we write: ${keyword}`);
      return { element, bytes: encodeValue(ELEMENTS[element].vr, value) };
    })
    .sort((a, b) => a.element - b.element);
  const bodyLength = elements.reduce((sum, e) => sum + 8 + e.bytes.length, 0);
  const out = Buffer.alloc(12 + bodyLength);
  out.writeUInt32LE(4, 4); // (0000,0000) UL, length 4
  out.writeUInt32LE(bodyLength, 8);
  let pos = 12;
  for (const { element, bytes } of elements) {
    out.writeUInt16LE(0x0000, pos);
    out.writeUInt16LE(element, pos + 2);
    out.writeUInt32LE(bytes.length, pos + 4);
    bytes.copy(out, pos + 8);
    pos += 8 + bytes.length;
  }
  return out;
}

function encodeValue(vr: CommandVr, value: number | string): Buffer {
  if (vr === 'US' || vr === 'UL') {
    const bytes = Buffer.alloc(vr === 'US' ? 2 : 4);
    if (vr === 'US') bytes.writeUInt16LE(Number(value));
    else bytes.writeUInt32LE(Number(value));
    return bytes;
  }
  const text = Buffer.from(String(value), 'latin1');
  if (text.length % 2 === 0) return text;
  return Buffer.concat([text, Buffer.from(vr === 'UI' ? [0x00] : [0x20])]);
}
