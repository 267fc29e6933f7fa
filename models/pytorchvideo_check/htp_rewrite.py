"""Rewrite a graph's 3D max pools that pool over space only, or time only, as 2D ones, which the HTP runs.

    python models/pytorchvideo_check/htp_rewrite.py IN.onnx OUT.onnx

PyTorchVideo's ResNet stems (SlowFast's two, Slow, C2D, I3D, CSN) end in a MaxPool3d with kernel
(1, 3, 3): the HTP has no 3D max pool, so those nodes fall back to the CPU. With a time kernel and
stride of 1 and no time padding, pooling [1, C, T, H, W] equals a 2D max pool of the tensor seen as
[1, C·T, H, W] (C and T are adjacent, so the reshape moves no data); each such node becomes
Reshape -> MaxPool (2D) -> Reshape. A pool over time only (kernel (k, 1, 1): C2D's and I3D-R50's
after their first stage) is likewise a 2D pool with kernel (k, 1) of [1, C, T, H·W]. Other 3D max
pools are left as they are and listed. Needs only onnx (no torch); shapes come from onnx's shape
inference.
"""

from __future__ import annotations

import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def _attr(node: onnx.NodeProto, name: str, default):
    for a in node.attribute:
        if a.name == name:
            value = helper.get_attribute_value(a)
            return list(value) if isinstance(value, (list, tuple)) else value
    return default


def rewrite(model: onnx.ModelProto) -> tuple[onnx.ModelProto, list[str], list[str]]:
    """The model with each time-free 3D MaxPool made 2D; the names rewritten and those left."""
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in (*inferred.graph.value_info, *inferred.graph.input, *inferred.graph.output)}
    done, left, nodes = [], [], []
    for node in model.graph.node:
        shape = shapes.get(node.input[0]) if node.op_type == "MaxPool" else None
        kernel = _attr(node, "kernel_shape", [])
        if shape is None or len(kernel) != 3 or len(node.output) != 1:
            nodes.append(node)
            continue
        strides, pads = _attr(node, "strides", [1, 1, 1]), _attr(node, "pads", [0] * 6)
        out = shapes.get(node.output[0])
        plain = (_attr(node, "dilations", [1, 1, 1]) == [1, 1, 1] and not _attr(node, "ceil_mode", 0)
                 and out and 0 not in shape + out)
        n, c, t, h, w = shape
        if plain and kernel[0] == 1 and strides[0] == 1 and not pads[0] and not pads[3]:
            # Over (H, W) only: [1, C·T, H, W].
            as2d, kernel2d, strides2d, pads2d = [n, c * t, h, w], kernel[1:], strides[1:], [pads[1], pads[2],
                                                                                           pads[4], pads[5]]
        elif plain and kernel[1:] == [1, 1] and strides[1:] == [1, 1] and not any(pads[1:3] + pads[4:]):
            # Over time only (C2D's and I3D-R50's pool after their first stage): [1, C, T, H·W].
            as2d, kernel2d, strides2d, pads2d = [n, c, t, h * w], [kernel[0], 1], [strides[0], 1], [pads[0], 0,
                                                                                                   pads[3], 0]
        else:
            left.append(node.name)
            nodes.append(node)
            continue
        base = node.name or node.output[0]
        flat, back = f"{base}/as2d_shape", f"{base}/back_shape"
        model.graph.initializer.extend([numpy_helper.from_array(np.array(as2d, np.int64), flat),
                                        numpy_helper.from_array(np.array(out, np.int64), back)])
        nodes += [
            helper.make_node("Reshape", [node.input[0], flat], [f"{base}/as2d"], name=f"{base}/as2d"),
            helper.make_node("MaxPool", [f"{base}/as2d"], [f"{base}/pooled2d"], name=f"{base}/2d",
                             kernel_shape=kernel2d, strides=strides2d, pads=pads2d),
            helper.make_node("Reshape", [f"{base}/pooled2d", back], [node.output[0]], name=f"{base}/back"),
        ]
        done.append(node.name)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    onnx.checker.check_model(model)
    return model, done, left


def main(src: str, dst: str) -> None:
    model, done, left = rewrite(onnx.load(src))
    onnx.save(model, dst)
    print(f"{len(done)} 3D max pools made 2D: {', '.join(done) or '-'}; left as they are: {', '.join(left) or '-'}")


if __name__ == "__main__":
    main(*sys.argv[1:])
