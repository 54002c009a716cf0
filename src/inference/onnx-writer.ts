/**
 * Writes small ONNX models (protobuf) from TypeScript: enough for one-op graphs such as the large
 * matrix product and convolution that measure this machine's peak through onnxruntime.
 */

class Writer {
  private readonly chunks: number[] = [];

  varint(value: number): this {
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      this.chunks.push(byte);
    } while (v > 0n);
    return this;
  }

  int(field: number, value: number): this {
    return this.varint(field << 3).varint(value);
  }

  bytes(field: number, value: Uint8Array): this {
    this.varint((field << 3) | 2).varint(value.length);
    for (const byte of value) this.chunks.push(byte);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

export interface OnnxNodeSpec {
  readonly opType: string;
  readonly inputs: string[];
  readonly outputs: string[];
  readonly intsAttributes?: Record<string, number[]>;
  readonly intAttributes?: Record<string, number>;
}

export interface OnnxModelSpec {
  readonly nodes: OnnxNodeSpec[];
  /** Float initializers. */
  readonly initializers: Array<{ name: string; dims: number[]; values: Float32Array }>;
  /** Float graph inputs and outputs; a string dimension is symbolic. */
  readonly inputs: Array<{ name: string; dims: Array<number | string> }>;
  readonly outputs: Array<{ name: string; dims: Array<number | string> }>;
}

const FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

function valueInfo(w: Writer, value: { name: string; dims: Array<number | string> }): void {
  w.string(1, value.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, FLOAT).message(2, (shape) => {
        for (const dim of value.dims) shape.message(1, (d) => (typeof dim === 'number' ? d.int(1, dim) : d.string(2, dim)));
      }),
    ),
  );
}

export function writeOnnxModel(spec: OnnxModelSpec, opset = 17): Uint8Array {
  return new Writer()
    .int(1, 8)
    .message(8, (o) => o.string(1, '').int(2, opset))
    .message(7, (g) => {
      for (const node of spec.nodes) {
        g.message(1, (n) => {
          node.inputs.forEach((i) => n.string(1, i));
          node.outputs.forEach((o) => n.string(2, o));
          n.string(4, node.opType);
          for (const [name, values] of Object.entries(node.intsAttributes ?? {})) {
            n.message(5, (a) => {
              a.string(1, name).int(20, ATTRIBUTE_INTS);
              values.forEach((v) => a.int(8, v));
            });
          }
          for (const [name, value] of Object.entries(node.intAttributes ?? {})) {
            n.message(5, (a) => a.string(1, name).int(20, ATTRIBUTE_INT).int(3, value));
          }
        });
      }
      g.string(2, 'graph');
      for (const init of spec.initializers) {
        g.message(5, (t) => {
          init.dims.forEach((d) => t.int(1, d));
          t.int(2, FLOAT).string(8, init.name).bytes(9, new Uint8Array(init.values.buffer, init.values.byteOffset, init.values.byteLength));
        });
      }
      spec.inputs.forEach((i) => g.message(11, (v) => valueInfo(v, i)));
      spec.outputs.forEach((o) => g.message(12, (v) => valueInfo(v, o)));
    })
    .finish();
}

/** C = A x B with both as inputs (n x n). */
export function matMulModel(): Uint8Array {
  return writeOnnxModel({
    nodes: [{ opType: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
    initializers: [],
    inputs: [
      { name: 'a', dims: ['m', 'k'] },
      { name: 'b', dims: ['k', 'n'] },
    ],
    outputs: [{ name: 'c', dims: ['m', 'n'] }],
  });
}

/** A 3x3 'same' convolution with channels in and out (weights are 1/(9 channels), values irrelevant). */
export function convModel(channels: number): Uint8Array {
  const weights = new Float32Array(channels * channels * 9).fill(1 / (9 * channels));
  return writeOnnxModel({
    nodes: [{ opType: 'Conv', inputs: ['input', 'w'], outputs: ['output'], intsAttributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } }],
    initializers: [{ name: 'w', dims: [channels, channels, 3, 3], values: weights }],
    inputs: [{ name: 'input', dims: ['N', channels, 'H', 'W'] }],
    outputs: [{ name: 'output', dims: ['N', channels, 'H', 'W'] }],
  });
}
