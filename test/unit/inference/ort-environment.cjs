// Jest runs each test file in its own vm realm, whose typed-array constructors differ from the
// ones onnxruntime-node's native binding uses for output tensors, so onnxruntime-common's
// `data instanceof Float32Array` check fails. Tests that run onnxruntime in the jest process
// name this environment in a docblock; code outside jest (workers, the node) needs nothing.
const FailureAwareEnvironment = require('../../helpers/failure-aware-environment.cjs');

const SHARED = [
  'Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array', 'Uint8Array',
  'Uint8ClampedArray', 'Uint16Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array', 'ArrayBuffer',
];

class OnnxRuntimeEnvironment extends FailureAwareEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxRuntimeEnvironment;
