import { InvalidInputError } from '../../../src/errors.js';
import { PduReader, type PduSink, PduType } from '../../../src/dicom/pdu-reader.js';
import { abortPdu, pDataHeader, releaseRequestPdu } from '../../../src/dicom/pdu-writer.js';

type Event =
  | { kind: 'control'; type: number; bytes: string }
  | { kind: 'pdv'; pc: number; command: boolean; last: boolean; value: string };

/** Records what the reader hands on, PDV values joined back together. */
class RecordingSink implements PduSink {
  events: Event[] = [];
  private current: { pc: number; command: boolean; last: boolean; parts: Buffer[] } | undefined;
  onEvent: ((sink: RecordingSink) => void) | undefined;
  controlPdu(type: number, pdu: Buffer): void {
    this.events.push({ kind: 'control', type, bytes: pdu.toString('hex') });
    this.onEvent?.(this);
  }
  pdvStart(pc: number, command: boolean, last: boolean): void {
    this.current = { pc, command, last, parts: [] };
  }
  pdvData(bytes: Buffer): void {
    this.current?.parts.push(Buffer.from(bytes));
  }
  pdvEnd(): void {
    const { pc, command, last, parts } = this.current!;
    this.events.push({ kind: 'pdv', pc, command, last, value: Buffer.concat(parts).toString('hex') });
    this.onEvent?.(this);
  }
}

function pdataPdu(pdvs: { pc: number; command: boolean; last: boolean; value: Buffer }[]): Buffer {
  const items = pdvs.map(({ pc, command, last, value }) =>
    Buffer.concat([pDataHeader(pc, command, last, value.length).subarray(6), value]),
  );
  const body = Buffer.concat(items);
  const header = Buffer.from([PduType.PDataTf, 0, 0, 0, 0, 0]);
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

const limits = { maxDataPduLength: 1024, maxControlPduLength: 1024 };

describe('PduReader', () => {
  const value1 = Buffer.from('0102030405060708090a', 'hex');
  const value2 = Buffer.from('aabbccdd', 'hex');
  const stream = Buffer.concat([
    pdataPdu([{ pc: 1, command: true, last: true, value: value1 }]),
    pdataPdu([
      { pc: 3, command: false, last: false, value: value2 },
      { pc: 3, command: false, last: true, value: Buffer.alloc(0) },
    ]),
    releaseRequestPdu(),
  ]);
  const expected: Event[] = [
    { kind: 'pdv', pc: 1, command: true, last: true, value: value1.toString('hex') },
    { kind: 'pdv', pc: 3, command: false, last: false, value: value2.toString('hex') },
    { kind: 'pdv', pc: 3, command: false, last: true, value: '' },
    { kind: 'control', type: PduType.ReleaseRq, bytes: releaseRequestPdu().toString('hex') },
  ];

  it('reads PDUs and PDVs the same whatever the chunk boundaries', () => {
    for (let split = 1; split < stream.length; split++) {
      const sink = new RecordingSink();
      const reader = new PduReader(limits, sink);
      reader.push(stream.subarray(0, split));
      reader.push(stream.subarray(split));
      expect(sink.events).toEqual(expected);
      expect(reader.atPduBoundary).toBe(true);
    }
  });

  it('reads a stream fed one byte at a time', () => {
    const sink = new RecordingSink();
    const reader = new PduReader(limits, sink);
    for (let i = 0; i < stream.length; i++) reader.push(stream.subarray(i, i + 1));
    expect(sink.events).toEqual(expected);
  });

  it('stops after the callback that paused it and goes on at resume', () => {
    const sink = new RecordingSink();
    const reader = new PduReader(limits, sink);
    sink.onEvent = () => reader.pause();
    reader.push(stream);
    expect(sink.events).toHaveLength(1);
    reader.resume();
    expect(sink.events).toHaveLength(2);
    sink.onEvent = undefined;
    reader.resume();
    expect(sink.events).toEqual(expected);
  });

  it('refuses a P-DATA-TF PDU longer than the negotiated maximum', () => {
    const reader = new PduReader({ maxDataPduLength: 8, maxControlPduLength: 1024 }, new RecordingSink());
    expect(() => reader.push(pdataPdu([{ pc: 1, command: true, last: true, value: value1 }]))).toThrow(
      InvalidInputError,
    );
  });

  it('refuses an oversized control PDU before buffering it', () => {
    const header = Buffer.from([PduType.AssociateRq, 0, 0x7f, 0xff, 0xff, 0xff]);
    const reader = new PduReader(limits, new RecordingSink());
    expect(() => reader.push(header)).toThrow(/exceeds the limit/);
  });

  it('refuses an unknown PDU type and a PDV item longer than its PDU', () => {
    expect(() => new PduReader(limits, new RecordingSink()).push(Buffer.from([0x09, 0, 0, 0, 0, 0]))).toThrow(
      /unknown PDU type/,
    );
    const bad = pdataPdu([{ pc: 1, command: true, last: true, value: value1 }]);
    bad.writeUInt32BE(200, 6); // PDV item length beyond the PDU
    expect(() => new PduReader(limits, new RecordingSink()).push(bad)).toThrow(/does not fit/);
  });

  it('hands on an A-ABORT whole', () => {
    const sink = new RecordingSink();
    new PduReader(limits, sink).push(abortPdu(2, 6));
    expect(sink.events).toEqual([{ kind: 'control', type: PduType.Abort, bytes: '07000000000400000206' }]);
  });
});
