import type { OnnxAttribute, OnnxGraph, OnnxNode } from './onnx-graph.js';

/**
 * Walks a fully convolutional ONNX graph for one input shape: tensor shapes, multiply-add FLOPs of
 * its convolutions and matrix products (2 per multiply-add; element-wise ops are not counted), and
 * the receptive-field radius in input pixels. Ops it does not know make it throw, naming the op.
 */
export interface GraphAnalysis {
  readonly outputShape: number[];
  readonly flops: number;
  /** Receptive-field radius per spatial axis (z, y, x for 3d; y, x for 2d), in input pixels, rounded up. */
  readonly receptiveField: number[];
}

interface Value {
  shape: number[];
  /** Radius per spatial axis, in input pixels. */
  radius: number[];
  /** Resolution per spatial axis relative to the input (2 after a 2x upsampling). */
  scale: number[];
}

const ELEMENTWISE = new Set(['Relu', 'LeakyRelu', 'PRelu', 'Sigmoid', 'Tanh', 'Elu', 'Selu', 'Identity', 'Add', 'Sub', 'Mul', 'Div', 'Clip', 'InstanceNormalization', 'BatchNormalization']);

function ints(node: OnnxNode, name: string, fallback: number[]): number[] {
  const attribute: OnnxAttribute | undefined = node.attributes.get(name);
  return attribute && attribute.ints.length > 0 ? attribute.ints : fallback;
}

function int(node: OnnxNode, name: string, fallback: number): number {
  return node.attributes.get(name)?.i ?? fallback;
}

class Walker {
  private readonly values = new Map<string, Value>();
  flops = 0;

  constructor(private readonly graph: OnnxGraph) {}

  set(name: string, value: Value): void {
    this.values.set(name, value);
  }

  value(name: string): Value {
    const value = this.values.get(name);
    if (!value) throw new Error(`ONNX analysis: tensor ${name} is used before it is made`);
    return value;
  }

  dims(name: string): number[] {
    const initializer = this.graph.initializers.get(name);
    if (!initializer) throw new Error(`ONNX analysis: ${name} must be a constant initializer`);
    return initializer.dims;
  }

  step(node: OnnxNode): Value {
    const input = () => this.value(node.inputs[0]);
    switch (node.opType) {
      case 'Conv':
        return this.conv(node, input());
      case 'ConvTranspose':
        return this.convTranspose(node, input());
      case 'DepthToSpace': {
        const x = input();
        const b = int(node, 'blocksize', 1);
        return { shape: [x.shape[0], x.shape[1] / (b * b), ...x.shape.slice(2).map((d) => d * b)], radius: x.radius, scale: x.scale.map((s) => s * b) };
      }
      case 'Slice':
        return this.slice(node, input());
      case 'Softmax':
        // Across channels it is per voxel, like an element-wise op; across a spatial axis it is not.
        if (int(node, 'axis', -1) !== 1) throw new Error('ONNX analysis: only Softmax across channels (axis 1) is supported');
        return this.elementwise(node);
      case 'Concat': {
        const parts = node.inputs.map((n) => this.value(n));
        const shape = [...parts[0].shape];
        shape[1] = parts.reduce((sum, p) => sum + p.shape[1], 0);
        return { shape, radius: this.maxRadius(parts), scale: parts[0].scale };
      }
      default:
        if (!ELEMENTWISE.has(node.opType)) throw new Error(`ONNX analysis: op ${node.opType} is not supported`);
        return this.elementwise(node);
    }
  }

  private maxRadius(values: Value[]): number[] {
    return values[0].radius.map((_, axis) => Math.max(...values.map((v) => v.radius[axis])));
  }

  private elementwise(node: OnnxNode): Value {
    const tensors = node.inputs.filter((n) => n !== '' && !this.graph.initializers.has(n)).map((n) => this.value(n));
    const widest = tensors.reduce((a, b) => (b.shape.length > a.shape.length ? b : a));
    return { shape: widest.shape, radius: this.maxRadius(tensors.filter((t) => t.radius.length === widest.radius.length)), scale: widest.scale };
  }

  private conv(node: OnnxNode, x: Value): Value {
    const weight = this.dims(node.inputs[1]);
    const kernel = weight.slice(2);
    const spatial = kernel.length;
    const strides = ints(node, 'strides', Array(spatial).fill(1));
    const dilations = ints(node, 'dilations', Array(spatial).fill(1));
    const pads = ints(node, 'pads', Array(2 * spatial).fill(0));
    const out = x.shape.slice(2).map((d, i) => Math.floor((d + pads[i] + pads[i + spatial] - dilations[i] * (kernel[i] - 1) - 1) / strides[i]) + 1);
    const [cout, cinPerGroup] = weight;
    this.flops += 2 * x.shape[0] * cout * cinPerGroup * kernel.reduce((a, b) => a * b, 1) * out.reduce((a, b) => a * b, 1);
    return {
      shape: [x.shape[0], cout, ...out],
      radius: x.radius.map((r, i) => r + (dilations[i] * (kernel[i] - 1)) / 2 / x.scale[i]),
      scale: x.scale.map((s, i) => s / strides[i]),
    };
  }

  private convTranspose(node: OnnxNode, x: Value): Value {
    const weight = this.dims(node.inputs[1]);
    const kernel = weight.slice(2);
    const spatial = kernel.length;
    const strides = ints(node, 'strides', Array(spatial).fill(1));
    const dilations = ints(node, 'dilations', Array(spatial).fill(1));
    const pads = ints(node, 'pads', Array(2 * spatial).fill(0));
    const extra = ints(node, 'output_padding', Array(spatial).fill(0));
    const inSpatial = x.shape.slice(2);
    const out = inSpatial.map((d, i) => strides[i] * (d - 1) + extra[i] + (kernel[i] - 1) * dilations[i] + 1 - pads[i] - pads[i + spatial]);
    const group = int(node, 'group', 1);
    const [cin, coutPerGroup] = weight;
    this.flops += 2 * x.shape[0] * cin * coutPerGroup * kernel.reduce((a, b) => a * b, 1) * inSpatial.reduce((a, b) => a * b, 1);
    // An output voxel reads the inputs whose kernel footprint covers it: beyond one input voxel
    // only where the footprint is wider than the stride.
    const reach = kernel.map((k, i) => Math.max(0, (dilations[i] * (k - 1) + 1 - strides[i]) / 2));
    return {
      shape: [x.shape[0], coutPerGroup * group, ...out],
      radius: x.radius.map((r, i) => r + reach[i] / x.scale[i]),
      scale: x.scale.map((s, i) => s * strides[i]),
    };
  }

  private slice(node: OnnxNode, x: Value): Value {
    const constants = node.inputs.slice(1, 4).map((n) => this.graph.initializers.get(n)?.int64);
    const [starts, ends, axes] = constants;
    if (!starts || !ends || !axes || axes.some((a) => a !== 1)) {
      throw new Error('ONNX analysis: only Slice along channels with constant starts, ends and axes is supported');
    }
    const channels = x.shape[1];
    const clamp = (v: number) => Math.min(channels, Math.max(0, v < 0 ? v + channels : v));
    return { ...x, shape: [x.shape[0], clamp(ends[0]) - clamp(starts[0]), ...x.shape.slice(2)] };
  }
}

/** Analyses the graph for one input shape (N, C, [D,] H, W) given to its first input. */
export function analyseGraph(graph: OnnxGraph, inputShape: readonly number[]): GraphAnalysis {
  const walker = new Walker(graph);
  const spatial = inputShape.length - 2;
  const input = graph.inputs.find((name) => !graph.initializers.has(name));
  if (!input) throw new Error('ONNX analysis: the graph has no input');
  walker.set(input, { shape: [...inputShape], radius: Array(spatial).fill(0), scale: Array(spatial).fill(1) });
  for (const node of graph.nodes) {
    const value = walker.step(node);
    for (const output of node.outputs) walker.set(output, value);
  }
  const output = walker.value(graph.outputs[0]);
  // Sub-pixel offsets round up to whole input pixels.
  return { outputShape: output.shape, flops: walker.flops, receptiveField: output.radius.map((r) => Math.ceil(r - 1e-9)) };
}
