/**
 * A minimal reader of ONNX model files (protobuf), enough to walk a graph: nodes with their
 * attributes, initializer shapes and small integer constants, and graph inputs. Used to count
 * FLOPs and to check a manifest's receptive field against the graph itself.
 */

export interface OnnxAttribute {
  readonly name: string;
  readonly i?: number;
  readonly f?: number;
  readonly s?: string;
  readonly ints: number[];
}

export interface OnnxNode {
  readonly opType: string;
  readonly inputs: string[];
  readonly outputs: string[];
  readonly attributes: Map<string, OnnxAttribute>;
}

export interface OnnxInitializer {
  readonly dims: number[];
  /** Values of int64 initializers (shape and slice constants); empty for others. */
  readonly int64: number[];
}

export interface OnnxGraph {
  readonly nodes: OnnxNode[];
  readonly initializers: Map<string, OnnxInitializer>;
  readonly inputs: string[];
  readonly outputs: string[];
}

class Reader {
  position = 0;
  constructor(readonly bytes: Uint8Array, private readonly end = bytes.length) {}

  get done(): boolean {
    return this.position >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.position >= this.end) throw new RangeError('ONNX file ends inside a varint');
      const byte = this.bytes[this.position++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asIntN(64, result);
      shift += 7n;
    }
  }

  field(): { number: number; wire: number } {
    const key = Number(this.varint());
    return { number: key >>> 3, wire: key & 7 };
  }

  sub(): Reader {
    const length = Number(this.varint());
    const reader = new Reader(this.bytes.subarray(0, this.position + length), this.position + length);
    reader.position = this.position;
    this.position += length;
    return reader;
  }

  bytesField(): Uint8Array {
    const length = Number(this.varint());
    const out = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return out;
  }

  string(): string {
    return new TextDecoder().decode(this.bytesField());
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.position += 8;
    else if (wire === 2) {
      const length = Number(this.varint());
      this.position += length;
    }
    else if (wire === 5) this.position += 4;
    else throw new RangeError(`unsupported protobuf wire type ${wire}`);
  }

  /** A repeated int64 field, packed (wire 2) or not (wire 0). */
  int64s(wire: number, into: number[]): void {
    if (wire === 0) {
      into.push(Number(this.varint()));
      return;
    }
    const packed = this.sub();
    while (!packed.done) into.push(Number(packed.varint()));
  }
}

function readAttribute(r: Reader): OnnxAttribute {
  const attribute: { name: string; i?: number; f?: number; s?: string; ints: number[] } = { name: '', ints: [] };
  while (!r.done) {
    const { number, wire } = r.field();
    if (number === 1) attribute.name = r.string();
    else if (number === 2 && wire === 5) {
      attribute.f = new DataView(r.bytes.buffer, r.bytes.byteOffset + r.position, 4).getFloat32(0, true);
      r.position += 4;
    } else if (number === 3) attribute.i = Number(r.varint());
    else if (number === 4) attribute.s = r.string();
    else if (number === 8) r.int64s(wire, attribute.ints);
    else r.skip(wire);
  }
  return attribute;
}

function readNode(r: Reader): OnnxNode {
  const node = { opType: '', inputs: [] as string[], outputs: [] as string[], attributes: new Map<string, OnnxAttribute>() };
  while (!r.done) {
    const { number, wire } = r.field();
    if (number === 1) node.inputs.push(r.string());
    else if (number === 2) node.outputs.push(r.string());
    else if (number === 4) node.opType = r.string();
    else if (number === 5) {
      const attribute = readAttribute(r.sub());
      node.attributes.set(attribute.name, attribute);
    } else r.skip(wire);
  }
  return node;
}

function readTensor(r: Reader): { name: string; tensor: OnnxInitializer } {
  const dims: number[] = [];
  const int64: number[] = [];
  let name = '';
  let dataType = 0;
  let raw: Uint8Array | undefined;
  while (!r.done) {
    const { number, wire } = r.field();
    if (number === 1) r.int64s(wire, dims);
    else if (number === 2) dataType = Number(r.varint());
    else if (number === 7) r.int64s(wire, int64);
    else if (number === 8) name = r.string();
    else if (number === 9) raw = r.bytesField();
    else r.skip(wire);
  }
  const INT64 = 7;
  if (dataType === INT64 && raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let offset = 0; offset + 8 <= raw.byteLength; offset += 8) int64.push(Number(view.getBigInt64(offset, true)));
  }
  return { name, tensor: { dims, int64: dataType === INT64 ? int64 : [] } };
}

function valueInfoName(r: Reader): string {
  let name = '';
  while (!r.done) {
    const { number, wire } = r.field();
    if (number === 1) name = r.string();
    else r.skip(wire);
  }
  return name;
}

function readGraph(r: Reader): OnnxGraph {
  const graph: OnnxGraph = { nodes: [], initializers: new Map(), inputs: [], outputs: [] };
  while (!r.done) {
    const { number, wire } = r.field();
    if (number === 1) graph.nodes.push(readNode(r.sub()));
    else if (number === 5) {
      const { name, tensor } = readTensor(r.sub());
      graph.initializers.set(name, tensor);
    } else if (number === 11) graph.inputs.push(valueInfoName(r.sub()));
    else if (number === 12) graph.outputs.push(valueInfoName(r.sub()));
    else r.skip(wire);
  }
  return graph;
}

/** Reads the main graph of an ONNX model file. */
export function readOnnxGraph(bytes: Uint8Array): OnnxGraph {
  const r = new Reader(bytes);
  while (!r.done) {
    const { number, wire } = r.field();
    if (number === 7) return readGraph(r.sub());
    r.skip(wire);
  }
  throw new RangeError('ONNX file has no graph');
}
