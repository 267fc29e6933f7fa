"""w8a8: static QDQ quantisation for the QNN HTP (uint8 activations, int8 per-channel weights).

Calibrated on rendered clips from the training families (never the held-out seeds or family).
Inputs and outputs stay float32; QuantizeLinear/DequantizeLinear pairs sit inside the graph.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnxruntime.quantization import CalibrationDataReader, QuantType, quantize
from onnxruntime.quantization.execution_providers.qnn import get_qnn_qdq_config, qnn_preprocess_model

import data
from config import CALIB_SEED, FLOAT_ONNX, INPUT_NAME, TRAIN_FAMILIES, W8A8_ONNX, WORK
from export import IR_VERSION

CALIB_CLIPS = 72


class ClipReader(CalibrationDataReader):
    """Feeds calibration clips one at a time."""

    def __init__(self, clips: np.ndarray) -> None:
        self._clips = iter(clips)

    def get_next(self) -> dict[str, np.ndarray] | None:
        clip = next(self._clips, None)
        return None if clip is None else {INPUT_NAME: clip[None]}


def main() -> dict:
    clips, _ = data.fixed_set(CALIB_SEED, CALIB_CLIPS, TRAIN_FAMILIES, augment=True)
    source = FLOAT_ONNX
    prepared = WORK / "motion_demo_float_qnnprep.onnx"
    if qnn_preprocess_model(FLOAT_ONNX, prepared):
        source = prepared
    config = get_qnn_qdq_config(
        str(source),
        ClipReader(clips.numpy()),
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        per_channel=True,
    )
    quantize(str(source), str(W8A8_ONNX), config)
    model = onnx.load(W8A8_ONNX)
    model.ir_version = IR_VERSION
    model.doc_string = "Kinetoscope motion_demo, w8a8 QDQ (float32 I/O)."
    onnx.save(model, W8A8_ONNX)
    size = W8A8_ONNX.stat().st_size
    print(f"quantised {W8A8_ONNX} ({size / 1e6:.2f} MB)")
    return {"w8a8_onnx_bytes": size}


if __name__ == "__main__":
    main()
