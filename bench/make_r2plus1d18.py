"""Generate an R(2+1)D-18-sized video classifier (random weights) in float and w8a8, for benchmarks.

The architecture follows the published R(2+1)D-18 (Tran et al. 2018; torchvision's r2plus1d_18):
a (2+1)D stem, four stages of two BasicBlocks with 64/128/256/512 channels, each 3x3x3 conv
factorised into a 1x3x3 spatial and a 3x1x1 temporal conv with an intermediate width chosen to keep
the parameter count of the full 3D conv; 400 classes; ~31.5 M parameters. Batch norms are folded
into the convs (as exported models have them). The weights are random: the graph's size and shape
are what matter for timing, compiling and caching, not its predictions.

I/O as the AI Hub models: `video` float32 [1,3,16,112,112] in [0, 1] (normalised inside), and
`class_probs` float32 [1,400] (softmax inside). The w8a8 version is a static QDQ quantisation
(uint8 activations, int8 per-channel weights) made with onnxruntime's QNN QDQ configuration.

    nice -n 10 .venv/bin/python bench/make_r2plus1d18.py      # writes bench/out/r2plus1d18-onnx-*/
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
MODEL_ID = "r2plus1d18"
IR_VERSION = 10
CLASSES = 400
MEAN = (0.43216, 0.394666, 0.37645)
STD = (0.22803, 0.22145, 0.216989)


class GraphBuilder:
    """Accumulates nodes and random initializers; names are generated."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.params = 0
        self._n = 0

    def name(self, stem: str) -> str:
        self._n += 1
        return f"{stem}_{self._n}"

    def const(self, stem: str, value: np.ndarray, *, counted: bool = True) -> str:
        name = self.name(stem)
        self.inits.append(numpy_helper.from_array(value, name))
        if counted:
            self.params += value.size
        return name

    def conv(self, x: str, cin: int, cout: int, kernel: tuple[int, int, int], stride: tuple[int, int, int],
             pad: tuple[int, int, int], *, relu: bool = True) -> str:
        fan_in = cin * kernel[0] * kernel[1] * kernel[2]
        w = self.rng.normal(0.0, np.sqrt(2.0 / fan_in), (cout, cin, *kernel)).astype(np.float32)
        b = self.rng.normal(0.0, 0.01, cout).astype(np.float32)
        out = self.name("conv")
        self.nodes.append(helper.make_node("Conv", [x, self.const("w", w), self.const("b", b)], [out],
                                           kernel_shape=list(kernel), strides=list(stride),
                                           pads=[*pad, *pad]))
        return self.relu(out) if relu else out

    def relu(self, x: str) -> str:
        out = self.name("relu")
        self.nodes.append(helper.make_node("Relu", [x], [out]))
        return out

    def conv2plus1d(self, x: str, cin: int, cout: int, mid: int, stride: int, *, relu: bool) -> str:
        """Spatial 1x3x3 (with its folded BN and ReLU), then temporal 3x1x1."""
        h = self.conv(x, cin, mid, (1, 3, 3), (1, stride, stride), (0, 1, 1))
        return self.conv(h, mid, cout, (3, 1, 1), (stride, 1, 1), (1, 0, 0), relu=relu)

    def basic_block(self, x: str, cin: int, cout: int, stride: int) -> str:
        mid = (cin * cout * 27) // (cin * 9 + 3 * cout)
        h = self.conv2plus1d(x, cin, cout, mid, stride, relu=True)
        h = self.conv2plus1d(h, cout, cout, mid, 1, relu=False)
        shortcut = x
        if stride != 1 or cin != cout:
            shortcut = self.conv(x, cin, cout, (1, 1, 1), (stride, stride, stride), (0, 0, 0), relu=False)
        summed = self.name("add")
        self.nodes.append(helper.make_node("Add", [h, shortcut], [summed]))
        return self.relu(summed)


def build(seed: int = 0) -> tuple[onnx.ModelProto, int]:
    g = GraphBuilder(seed)
    mean = np.array(MEAN, np.float32).reshape(1, 3, 1, 1, 1)
    std = np.array(STD, np.float32).reshape(1, 3, 1, 1, 1)
    g.nodes.append(helper.make_node("Sub", ["video", g.const("mean", mean, counted=False)], ["centred"]))
    g.nodes.append(helper.make_node("Div", ["centred", g.const("std", std, counted=False)], ["normed"]))
    x = g.conv("normed", 3, 45, (1, 7, 7), (1, 2, 2), (0, 3, 3))        # stem, spatial
    x = g.conv(x, 45, 64, (3, 1, 1), (1, 1, 1), (1, 0, 0))             # stem, temporal
    cin = 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        x = g.basic_block(x, cin, cout, stride)
        x = g.basic_block(x, cout, cout, 1)
        cin = cout
    g.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
    g.nodes.append(helper.make_node("Flatten", ["pooled"], ["flat"], axis=1))
    fc = (g.rng.normal(0.0, 1.0 / np.sqrt(512), (512, CLASSES))).astype(np.float32)
    g.nodes.append(helper.make_node("Gemm", ["flat", g.const("fc_w", fc), g.const("fc_b", np.zeros(CLASSES, np.float32))],
                                    ["logits"]))
    g.nodes.append(helper.make_node("Softmax", ["logits"], ["class_probs"], axis=1))
    graph = helper.make_graph(g.nodes, "r2plus1d_18_random",
                              [helper.make_tensor_value_info("video", TensorProto.FLOAT, [1, 3, 16, 112, 112])],
                              [helper.make_tensor_value_info("class_probs", TensorProto.FLOAT, [1, CLASSES])],
                              g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = IR_VERSION
    model.doc_string = "R(2+1)D-18-sized video classifier with random weights (Kinetoscope benchmark)."
    return model, g.params


def write_bundle(model_path: Path, precision: str) -> Path:
    """Lay the graph out as an AI Hub ONNX release folder (graph + weights subfolder, metadata, labels)."""
    base = OUT / f"{MODEL_ID}-onnx-{precision}"
    shutil.rmtree(base, ignore_errors=True)
    sub = base / f"{MODEL_ID}_onnx"
    sub.mkdir(parents=True)
    model = onnx.load(str(model_path))
    model.ir_version = IR_VERSION
    onnx.save(model, str(sub / f"{MODEL_ID}.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
              location=f"{MODEL_ID}.data", size_threshold=1024)
    shutil.copy(REPO / "app" / "kinetoscope" / "data" / "labels" / "kinetics400_labels.txt", base / "kinetics400_labels.txt")
    rel = f"{MODEL_ID}_onnx/{MODEL_ID}.onnx"
    meta = {"model_id": MODEL_ID, "model_name": "R(2+1)D-18-sized (random weights)", "runtime": "onnx",
            "precision": precision, "model_files": {rel: {
                "inputs": {"video": {"shape": [1, 3, 16, 112, 112], "dtype": "float32"}},
                "outputs": {"class_probs": {"shape": [1, CLASSES], "dtype": "float32", "softmax_applied": True,
                                            "labels_file": "kinetics400_labels.txt"}}}}}
    (base / "metadata.json").write_text(json.dumps(meta, indent=2))
    return base


def quantize_w8a8(float_path: Path, out_path: Path, calibration_clips: int) -> None:
    from onnxruntime.quantization import CalibrationDataReader, QuantType, quantize
    from onnxruntime.quantization.execution_providers.qnn import get_qnn_qdq_config

    class Clips(CalibrationDataReader):
        def __init__(self) -> None:
            rng = np.random.default_rng(1)
            self._left = iter(rng.random((calibration_clips, 1, 3, 16, 112, 112), dtype=np.float32))

        def get_next(self) -> dict[str, np.ndarray] | None:
            clip = next(self._left, None)
            return None if clip is None else {"video": clip}

    config = get_qnn_qdq_config(str(float_path), Clips(), activation_type=QuantType.QUInt8,
                                weight_type=QuantType.QInt8, per_channel=True)
    quantize(str(float_path), str(out_path), config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibration-clips", type=int, default=4)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    scratch = OUT / "r2plus1d18_scratch"
    scratch.mkdir(exist_ok=True)
    model, params = build()
    float_path = scratch / "float.onnx"
    onnx.save(model, str(float_path))
    print(f"R(2+1)D-18-sized graph: {params / 1e6:.2f} M parameters, {len(model.graph.node)} nodes")
    print("float bundle:", write_bundle(float_path, "float"))
    w8a8_path = scratch / "w8a8.onnx"
    quantize_w8a8(float_path, w8a8_path, args.calibration_clips)
    print("w8a8 bundle:", write_bundle(w8a8_path, "w8a8"))
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
