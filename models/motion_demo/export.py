"""Build the float ONNX graph from the trained weights with onnx.helper, and check it against torch.

The graph: Sub/Mul normalisation, eight Conv (3D, BatchNorm folded) + Relu, the moment head as one
Conv whose kernel spans the whole last feature map, Flatten, Softmax. Every op is one the QNN HTP
backend runs.
"""

from __future__ import annotations

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from config import CHECKPOINT, FLOAT_ONNX, INPUT_NAME, INPUT_SHAPE, MEAN, OUTPUT_NAME, STD
from net import FEATURE_THW, N_CLASSES, MotionNet, folded_convs

OPSET = 17
IR_VERSION = 10  # this onnxruntime reads IR <= 13; 10 is what opset 17 was released with


def load_net() -> MotionNet:
    net = MotionNet()
    net.load_state_dict(torch.load(CHECKPOINT, map_location="cpu", weights_only=True))
    return net.eval()


def build_graph(net: MotionNet) -> onnx.ModelProto:
    """The ONNX model for `net` in eval mode, softmax included."""
    inits = [
        numpy_helper.from_array(np.asarray(MEAN, np.float32).reshape(1, 3, 1, 1, 1), "norm_mean"),
        numpy_helper.from_array((1 / np.asarray(STD, np.float32)).reshape(1, 3, 1, 1, 1), "norm_inv_std"),
    ]
    nodes = [
        helper.make_node("Sub", [INPUT_NAME, "norm_mean"], ["centred"], name="normalise_sub"),
        helper.make_node("Mul", ["centred", "norm_inv_std"], ["x0"], name="normalise_mul"),
    ]
    x = "x0"
    for i, (weight, bias, kernel, stride, padding) in enumerate(folded_convs(net), start=1):
        inits.append(numpy_helper.from_array(weight.numpy().astype(np.float32), f"conv{i}.weight"))
        inits.append(numpy_helper.from_array(bias.numpy().astype(np.float32), f"conv{i}.bias"))
        nodes.append(helper.make_node(
            "Conv", [x, f"conv{i}.weight", f"conv{i}.bias"], [f"conv{i}"], name=f"conv{i}",
            kernel_shape=list(kernel), strides=list(stride), pads=list(padding) * 2,
        ))
        nodes.append(helper.make_node("Relu", [f"conv{i}"], [f"relu{i}"], name=f"relu{i}"))
        x = f"relu{i}"
    head_weight, head_bias = net.head.as_conv()
    inits.append(numpy_helper.from_array(head_weight.numpy().astype(np.float32), "head.weight"))
    inits.append(numpy_helper.from_array(head_bias.numpy().astype(np.float32), "head.bias"))
    nodes += [
        helper.make_node("Conv", [x, "head.weight", "head.bias"], ["head"], name="head",
                         kernel_shape=list(FEATURE_THW)),
        helper.make_node("Flatten", ["head"], ["logits"], name="flatten", axis=1),
        helper.make_node("Softmax", ["logits"], [OUTPUT_NAME], name="softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "motion_demo",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, list(INPUT_SHAPE))],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [1, N_CLASSES])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="kinetoscope")
    model.ir_version = IR_VERSION
    model.doc_string = "Kinetoscope motion_demo: one object's on-screen motion, 9 classes."
    onnx.checker.check_model(model, full_check=True)
    return model


def compare_with_torch(net: MotionNet, path: str, inputs: torch.Tensor) -> float:
    """Max abs difference of the probabilities of onnxruntime (CPU) and torch on `inputs`."""
    import onnxruntime as ort

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    worst = 0.0
    with torch.no_grad():
        for clip in inputs:
            want = torch.softmax(net(clip[None]), 1).numpy()
            got = session.run(None, {INPUT_NAME: clip[None].numpy()})[0]
            worst = max(worst, float(np.abs(got - want).max()))
    return worst


def main() -> dict:
    import data
    from config import HELDOUT_FAMILIES, VALID_SEED

    net = load_net()
    model = build_graph(net)
    FLOAT_ONNX.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, FLOAT_ONNX)
    inputs, _ = data.fixed_set(VALID_SEED + 1, 9, HELDOUT_FAMILIES)
    inputs = torch.cat([inputs, torch.rand(2, *INPUT_SHAPE[1:])])
    diff = compare_with_torch(net, str(FLOAT_ONNX), inputs)
    print(f"exported {FLOAT_ONNX} ({FLOAT_ONNX.stat().st_size / 1e6:.2f} MB); max |onnx - torch| = {diff:.2e}")
    if diff > 1e-4:
        raise SystemExit("the exported graph does not match torch")
    return {"float_onnx_bytes": FLOAT_ONNX.stat().st_size, "max_abs_diff_vs_torch": diff}


if __name__ == "__main__":
    main()
