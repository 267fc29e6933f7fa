"""w8a8: static QDQ quantisation for the QNN HTP, calibrated on real frames.

uint8 activations, int8 per-channel weights, MinMax ranges (deterministic). Calibration views:
CALIB_VIEWS_PER_CLIP evenly spaced views of every clip in the media folder, sampled by the
shipped recipe. The graph keeps float32 input and output; the Q/DQ pairs sit inside.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantType, quantize
from onnxruntime.quantization.execution_providers.qnn import get_qnn_qdq_config

import clips
from config import CALIB_VIEWS_PER_CLIP, INPUT_NAME, IR_VERSION, MODEL_NAME, RECIPE


class ViewReader(CalibrationDataReader):
    """Feeds the calibration views one at a time."""

    def __init__(self, views: list[np.ndarray]) -> None:
        self._views = iter(views)

    def get_next(self) -> dict[str, np.ndarray] | None:
        view = next(self._views, None)
        return None if view is None else {INPUT_NAME: view}


def calibration_views(media: list[Path], frames: int) -> list[np.ndarray]:
    """[1, 3, frames, 224, 224] inputs from the given clips, in a fixed order."""
    views = []
    for path in media:
        clip = clips.decode(path)
        views.extend(clips.views_of(clip, RECIPE["sampling"], frames, CALIB_VIEWS_PER_CLIP))
    return views


def quantize_w8a8(float_model: onnx.ModelProto, views: list[np.ndarray]) -> onnx.ModelProto:
    """The QDQ w8a8 version of `float_model`."""
    with tempfile.TemporaryDirectory(prefix="i3d-quant-") as tmp:
        source, target = Path(tmp) / "float.onnx", Path(tmp) / "w8a8.onnx"
        onnx.save(float_model, source)
        config = get_qnn_qdq_config(
            str(source),
            ViewReader(views),
            calibrate_method=CalibrationMethod.MinMax,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
        quantize(str(source), str(target), config)
        model = onnx.load(target)
    model.ir_version = IR_VERSION
    model.doc_string = f"{MODEL_NAME}, w8a8 QDQ (float32 input and output)."
    del model.metadata_props[:]
    onnx.checker.check_model(model)
    return model
