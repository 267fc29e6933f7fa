"""The I3D network written as an ONNX graph, straight from the checkpoint's numpy arrays.

Layout NCTHW. What the graph does, and why it looks the way it does:
- the input `video` is in [0, 1]; the network was trained on [-1, 1], so x * 2 - 1 comes first;
- every convolution and max pool is TensorFlow "SAME": the total padding of an axis is
  max((ceil(n / s) - 1) * s + k - n, 0), the odd pixel going at the end. It depends on the input
  size, so the pads are computed here for the fixed T and written out explicitly;
- BatchNorm (epsilon 1e-3, no scale) is folded into each convolution as a bias;
- the HTP has no 3D max pooling, and a max over a box is separable, so each 3D max pool is a 2D
  max pool over (H, W) with (C, T) folded into the channels, then a 2D max pool over (T, 1) with
  (H, W) folded into the width. Missing pixels never win: ONNX pads max pools with -inf, and
  every pooled tensor here follows a ReLU anyway;
- logits: average pool (2, 7, 7) VALID, a 1x1x1 convolution with bias, the mean over time, softmax;
- a second output `features` [1, 1024]: that average pool's output averaged over time, the pooled
  features a taught model's classifier reads (the logits are a linear map of the same numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from config import (CROP, FEATURES_DIM, FEATURES_NAME, INPUT_NAME, IR_VERSION, LOGITS_NAME, MODEL_NAME, OPSET,
                    OUTPUT_NAME)

BN_EPSILON = 1e-3
NUM_CLASSES = 400

# Output channels of each Inception block's branches:
# (1x1, 1x1 -> 3x3x3, 3x3x3, 1x1 -> 3x3x3, 3x3x3, max pool -> 1x1)
INCEPTION = {
    "Mixed_3b": (64, 96, 128, 16, 32, 32),
    "Mixed_3c": (128, 128, 192, 32, 96, 64),
    "Mixed_4b": (192, 96, 208, 16, 48, 64),
    "Mixed_4c": (160, 112, 224, 24, 64, 64),
    "Mixed_4d": (128, 128, 256, 24, 64, 64),
    "Mixed_4e": (112, 144, 288, 32, 64, 64),
    "Mixed_4f": (256, 160, 320, 32, 128, 128),
    "Mixed_5b": (256, 160, 320, 32, 128, 128),
    "Mixed_5c": (384, 192, 384, 48, 128, 128),
}


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """(pad before, pad after, output size) of TensorFlow's SAME padding along one axis."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


@dataclass(frozen=True)
class Tensor:
    """A tensor of the graph being built: its name and NCTHW shape (batch 1)."""

    name: str
    c: int
    t: int
    h: int
    w: int


class I3dGraph:
    """Accumulates nodes and initializers while the network is walked layer by layer."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self._weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._used: set[str] = set()

    def _const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def _param(self, key: str) -> np.ndarray:
        self._used.add(key)
        return self._weights[key]

    def unused(self) -> list[str]:
        """Checkpoint entries the graph did not read (should be none)."""
        return sorted(set(self._weights) - self._used)

    def _reshape(self, x: str, shape: tuple[int, ...], name: str) -> str:
        shape_name = self._const(f"{name}/shape", np.asarray(shape, np.int64))
        self.nodes.append(helper.make_node("Reshape", [x, shape_name], [name], name=name))
        return name

    def unit(self, x: Tensor, scope: str, out_channels: int, kernel: tuple[int, int, int],
             stride: tuple[int, int, int] = (1, 1, 1)) -> Tensor:
        """Conv3d (SAME, no bias) + BatchNorm (folded) + ReLU."""
        kernel_thwio = self._param(f"params/{scope}/Conv_0/kernel").astype(np.float64)
        beta = self._param(f"params/{scope}/BatchNorm_0/bias").astype(np.float64)
        mean = self._param(f"batch_stats/{scope}/BatchNorm_0/mean").reshape(-1).astype(np.float64)
        var = self._param(f"batch_stats/{scope}/BatchNorm_0/var").reshape(-1).astype(np.float64)
        if kernel_thwio.shape != (*kernel, x.c, out_channels):
            raise ValueError(f"{scope}: kernel {kernel_thwio.shape}, expected {(*kernel, x.c, out_channels)}")
        scale = 1.0 / np.sqrt(var + BN_EPSILON)
        w = kernel_thwio.transpose(4, 3, 0, 1, 2) * scale[:, None, None, None, None]
        b = beta - mean * scale
        pads = [same_pads(n, k, s) for n, k, s in zip((x.t, x.h, x.w), kernel, stride)]
        w_name = self._const(f"{scope}/weight", w.astype(np.float32))
        b_name = self._const(f"{scope}/bias", b.astype(np.float32))
        conv = f"{scope}/conv"
        self.nodes.append(helper.make_node(
            "Conv", [x.name, w_name, b_name], [conv], name=conv, kernel_shape=list(kernel),
            strides=list(stride), pads=[p[0] for p in pads] + [p[1] for p in pads]))
        relu = f"{scope}/relu"
        self.nodes.append(helper.make_node("Relu", [conv], [relu], name=relu))
        return Tensor(relu, out_channels, pads[0][2], pads[1][2], pads[2][2])

    def max_pool(self, x: Tensor, scope: str, kernel: tuple[int, int, int], stride: tuple[int, int, int]) -> Tensor:
        """SAME 3D max pooling as a spatial 2D max pool, then (when kernel or stride in T > 1) a temporal one."""
        kt, kh, kw = kernel
        st, sh, sw = stride
        h0, h1, h = same_pads(x.h, kh, sh)
        w0, w1, w = same_pads(x.w, kw, sw)
        flat = self._reshape(x.name, (1, x.c * x.t, x.h, x.w), f"{scope}/fold_ct")
        spatial = f"{scope}/pool_hw"
        self.nodes.append(helper.make_node(
            "MaxPool", [flat], [spatial], name=spatial, kernel_shape=[kh, kw], strides=[sh, sw],
            pads=[h0, w0, h1, w1]))
        if kt == 1 and st == 1:
            return Tensor(self._reshape(spatial, (1, x.c, x.t, h, w), f"{scope}/out"), x.c, x.t, h, w)
        t0, t1, t = same_pads(x.t, kt, st)
        by_time = self._reshape(spatial, (1, x.c, x.t, h * w), f"{scope}/fold_hw")
        temporal = f"{scope}/pool_t"
        self.nodes.append(helper.make_node(
            "MaxPool", [by_time], [temporal], name=temporal, kernel_shape=[kt, 1], strides=[st, 1],
            pads=[t0, 0, t1, 0]))
        return Tensor(self._reshape(temporal, (1, x.c, t, h, w), f"{scope}/out"), x.c, t, h, w)

    def inception(self, x: Tensor, scope: str) -> Tensor:
        c0, c1a, c1b, c2a, c2b, c3 = INCEPTION[scope]
        b0 = self.unit(x, f"{scope}/Branch_0/Conv3d_0a_1x1", c0, (1, 1, 1))
        b1 = self.unit(x, f"{scope}/Branch_1/Conv3d_0a_1x1", c1a, (1, 1, 1))
        b1 = self.unit(b1, f"{scope}/Branch_1/Conv3d_0b_3x3", c1b, (3, 3, 3))
        b2 = self.unit(x, f"{scope}/Branch_2/Conv3d_0a_1x1", c2a, (1, 1, 1))
        b2 = self.unit(b2, f"{scope}/Branch_2/Conv3d_0b_3x3", c2b, (3, 3, 3))
        b3 = self.max_pool(x, f"{scope}/Branch_3/MaxPool3d_0a_3x3", (3, 3, 3), (1, 1, 1))
        b3 = self.unit(b3, f"{scope}/Branch_3/Conv3d_0b_1x1", c3, (1, 1, 1))
        out = f"{scope}/concat"
        self.nodes.append(helper.make_node("Concat", [b.name for b in (b0, b1, b2, b3)], [out], name=out, axis=1))
        return Tensor(out, b0.c + b1.c + b2.c + b3.c, x.t, x.h, x.w)

    def logits(self, x: Tensor) -> str:
        """Average pool (2, 7, 7) VALID, 1x1x1 conv with bias, mean over time: [1, 400]."""
        if x.t < 2 or (x.h, x.w) != (7, 7):
            raise ValueError(f"the logits need a (>=2, 7, 7) map, got {(x.t, x.h, x.w)}")
        pooled = "Logits/avg_pool"
        self.nodes.append(helper.make_node("AveragePool", [x.name], [pooled], name=pooled,
                                           kernel_shape=[2, 7, 7], strides=[1, 1, 1]))
        kernel = self._param("params/Logits/Conv3d_0c_1x1/Conv_0/kernel")
        bias = self._param("params/Logits/Conv3d_0c_1x1/Conv_0/bias")
        w = self._const("Logits/Conv3d_0c_1x1/weight", np.ascontiguousarray(kernel.transpose(4, 3, 0, 1, 2)))
        b = self._const("Logits/Conv3d_0c_1x1/bias", bias.copy())
        conv = "Logits/Conv3d_0c_1x1/conv"
        self.nodes.append(helper.make_node("Conv", [pooled, w, b], [conv], name=conv, kernel_shape=[1, 1, 1]))
        self.nodes.append(helper.make_node("ReduceMean", [conv], [LOGITS_NAME], name="Logits/mean",
                                           axes=[2, 3, 4], keepdims=0))
        self.nodes.append(helper.make_node("ReduceMean", [pooled], [FEATURES_NAME], name="Features/mean",
                                           axes=[2, 3, 4], keepdims=0))
        return LOGITS_NAME


def build_model(weights: dict[str, np.ndarray], frames: int) -> onnx.ModelProto:
    """The float I3D graph for inputs [1, 3, frames, 224, 224] in [0, 1], giving softmax probabilities
    and the pooled features."""
    g = I3dGraph(weights)
    two = g._const("input/two", np.asarray(2.0, np.float32))
    one = g._const("input/one", np.asarray(1.0, np.float32))
    g.nodes.append(helper.make_node("Mul", [INPUT_NAME, two], ["input/scaled"], name="input/scale"))
    g.nodes.append(helper.make_node("Sub", ["input/scaled", one], ["input/symmetric"], name="input/shift"))
    x = Tensor("input/symmetric", 3, frames, CROP, CROP)
    x = g.unit(x, "Conv3d_1a_7x7", 64, (7, 7, 7), (2, 2, 2))
    x = g.max_pool(x, "MaxPool3d_2a_3x3", (1, 3, 3), (1, 2, 2))
    x = g.unit(x, "Conv3d_2b_1x1", 64, (1, 1, 1))
    x = g.unit(x, "Conv3d_2c_3x3", 192, (3, 3, 3))
    x = g.max_pool(x, "MaxPool3d_3a_3x3", (1, 3, 3), (1, 2, 2))
    x = g.inception(x, "Mixed_3b")
    x = g.inception(x, "Mixed_3c")
    x = g.max_pool(x, "MaxPool3d_4a_3x3", (3, 3, 3), (2, 2, 2))
    for scope in ("Mixed_4b", "Mixed_4c", "Mixed_4d", "Mixed_4e", "Mixed_4f"):
        x = g.inception(x, scope)
    x = g.max_pool(x, "MaxPool3d_5a_2x2", (2, 2, 2), (2, 2, 2))
    x = g.inception(x, "Mixed_5b")
    x = g.inception(x, "Mixed_5c")
    logits = g.logits(x)
    g.nodes.append(helper.make_node("Softmax", [logits], [OUTPUT_NAME], name="Predictions", axis=1))
    if g.unused():
        raise ValueError(f"checkpoint entries not used by the graph: {g.unused()[:5]}")
    graph = helper.make_graph(
        g.nodes, "i3d_kinetics",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [1, 3, frames, CROP, CROP])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [1, NUM_CLASSES]),
         helper.make_tensor_value_info(FEATURES_NAME, TensorProto.FLOAT, [1, FEATURES_DIM])],
        g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="kinetoscope", doc_string=f"{MODEL_NAME}, float32.")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def with_logits_output(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of `model` that also outputs the pre-softmax logits (for checks only)."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    copy.graph.output.append(helper.make_tensor_value_info(LOGITS_NAME, TensorProto.FLOAT, [1, NUM_CLASSES]))
    return copy
