"""Small helpers to build fully convolutional ONNX graphs with onnx.helper and numpy (no torch).

Used by make-test-models.py (tiny fixtures for the tiler tests) and make-random-generators.py
(untrained generators of the architectures that training will use). Every builder tracks the
receptive-field radius it adds, in input pixels, so that manifests can declare it exactly.
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class GraphBuilder:
    def __init__(self, seed, spatial_dims):
        self.rng = np.random.RandomState(seed)
        self.nodes = []
        self.initializers = []
        self.counter = 0
        self.spatial_dims = spatial_dims  # 2 for NCHW, 3 for NCDHW

    def name(self, prefix):
        self.counter += 1
        return f"{prefix}_{self.counter}"

    def weight(self, shape, scale):
        name = self.name("w")
        values = (self.rng.standard_normal(shape) * scale).astype(np.float32)
        self.initializers.append(numpy_helper.from_array(values, name))
        return name

    def conv(self, x, cin, cout, kernel, dilation=None, gain=1.0):
        """'Same' convolution (zero padding inside the model; the tiler pads outside by the halo)."""
        kernel = list(kernel) if isinstance(kernel, (list, tuple)) else [kernel] * self.spatial_dims
        dilation = list(dilation) if isinstance(dilation, (list, tuple)) else [dilation or 1] * self.spatial_dims
        fan_in = cin * int(np.prod(kernel))
        w = self.weight([cout, cin] + kernel, gain * np.sqrt(2.0 / fan_in))
        b = self.name("b")
        self.initializers.append(numpy_helper.from_array((self.rng.standard_normal(cout) * 0.01).astype(np.float32), b))
        pads = [(k - 1) // 2 * d for k, d in zip(kernel, dilation)]
        out = self.name("conv")
        self.nodes.append(helper.make_node("Conv", [x, w, b], [out], kernel_shape=kernel, dilations=dilation, pads=pads + pads))
        return out

    def conv_transpose(self, x, cin, cout, stride):
        """Sub-voxel upsampling with kernel == stride: each input voxel makes stride^d output voxels."""
        stride = list(stride)
        w = self.weight([cin, cout] + stride, np.sqrt(1.0 / cin))
        out = self.name("convt")
        self.nodes.append(helper.make_node("ConvTranspose", [x, w], [out], kernel_shape=stride, strides=stride))
        return out

    def op(self, op_type, inputs, **attrs):
        out = self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def const(self, value):
        name = self.name("c")
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=np.float32), name))
        return name

    def model(self, input_name, in_channels, output, out_channels, graph_name):
        dims = ["N", in_channels] + (["D", "H", "W"] if self.spatial_dims == 3 else ["H", "W"])
        out_dims = ["N", out_channels] + (["Do", "Ho", "Wo"] if self.spatial_dims == 3 else ["Ho", "Wo"])
        self.nodes.append(helper.make_node("Identity", [output], ["output"]))
        graph = helper.make_graph(
            self.nodes,
            graph_name,
            [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, dims)],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, out_dims)],
            self.initializers,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="ctprep-scripts")
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def write_model(folder, model, manifest):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, manifest["file"])
    onnx.save(model, path)
    with open(os.path.join(folder, "manifest.json"), "w") as handle:
        json.dump(manifest, handle, indent=2)
        handle.write("\n")
    return path
