"""Read what Kinetoscope needs from an ONNX file without the `onnx` package.

An ONNX model is a protocol-buffers message. We only need the graph's inputs and outputs (names,
element types, shapes), which node consumes each input or produces each output, and the small
initializers holding quantization scales and zero points. A minimal wire-format reader gets those
without loading the (possibly 100+ MB) weights into Python objects.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kinetoscope.engine.errors import ModelError

# TensorProto.DataType values we may meet at the I/O of a classifier.
ELEM_TYPES: dict[int, str] = {
    1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32",
    7: "int64", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 16: "bfloat16",
}


@dataclass(frozen=True)
class TensorInfo:
    """A graph input or output: its name, element type and shape (None for a symbolic dimension)."""

    name: str
    dtype: str
    shape: tuple[int | None, ...]


@dataclass(frozen=True)
class NodeInfo:
    op_type: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class GraphSummary:
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    nodes: tuple[NodeInfo, ...]
    # Only scalar initializers: that is all quantization parameters need.
    scalars: dict[str, float]


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(buf: memoryview):
    """Yield (field_number, wire_type, value) for one message; value is int or memoryview."""
    pos = 0
    end = len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > end:
                raise ValueError("truncated field")
            value, pos = buf[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield number, wire, value


def _value_info(buf: memoryview) -> TensorInfo:
    name, elem, dims = "", 0, []
    for number, _, value in _fields(buf):
        if number == 1:
            name = bytes(value).decode()
        elif number == 2:  # TypeProto
            for tn, _, tv in _fields(value):
                if tn != 1:  # tensor_type
                    continue
                for fn, _, fv in _fields(tv):
                    if fn == 1:
                        elem = fv
                    elif fn == 2:  # TensorShapeProto
                        for dn, _, dv in _fields(fv):
                            if dn != 1:
                                continue
                            dim: int | None = None
                            for kn, _, kv in _fields(dv):
                                if kn == 1:
                                    dim = kv
                            dims.append(dim)
    return TensorInfo(name, ELEM_TYPES.get(elem, f"type{elem}"), tuple(dims))


def _node(buf: memoryview) -> NodeInfo:
    ins: list[str] = []
    outs: list[str] = []
    op = ""
    for number, _, value in _fields(buf):
        if number == 1:
            ins.append(bytes(value).decode())
        elif number == 2:
            outs.append(bytes(value).decode())
        elif number == 4:
            op = bytes(value).decode()
    return NodeInfo(op, tuple(ins), tuple(outs))


_NUMPY_OF = {1: "<f4", 2: "u1", 3: "i1", 4: "<u2", 5: "<i2", 6: "<i4", 7: "<i8", 10: "<f2", 11: "<f8"}


def _scalar_initializer(buf: memoryview) -> tuple[str, float] | None:
    name, dtype, dims, raw = "", 0, [], None
    floats: list[float] = []
    ints: list[int] = []
    for number, wire, value in _fields(buf):
        if number == 1:
            dims.append(value if wire == 0 else None)
        elif number == 2:
            dtype = value
        elif number == 8:
            name = bytes(value).decode()
        elif number == 9:
            raw = bytes(value)
        elif number == 4:  # float_data (packed or not)
            if wire == 2:
                floats.extend(struct.unpack(f"<{len(value) // 4}f", value))
            else:
                floats.append(struct.unpack("<f", value)[0])
        elif number == 5:  # int32_data holds (u)int8/16 values too
            if wire == 2:
                sub, p = value, 0
                while p < len(sub):
                    v, p = _varint(sub, p)
                    ints.append(v)
            else:
                ints.append(value)
    if any(d not in (None, 1) for d in dims) or dtype not in _NUMPY_OF:
        return None
    if raw is not None:
        arr = np.frombuffer(raw, dtype=_NUMPY_OF[dtype])
        return (name, float(arr[0])) if arr.size == 1 else None
    if len(floats) == 1:
        return name, floats[0]
    if len(ints) == 1:
        v = ints[0]
        if dtype in (3, 5, 6) and v >= 1 << 63:  # negative ints are sign-extended varints
            v -= 1 << 64
        return name, float(v)
    return None


def read_graph_summary(path: str | Path) -> GraphSummary:
    """Read inputs, outputs, nodes and scalar initializers of the ONNX model at `path`."""
    path = Path(path)
    try:
        data = memoryview(path.read_bytes())
    except OSError as exc:
        raise ModelError(f"Cannot read the model file {path.name}.", detail=str(exc)) from exc
    try:
        graph = None
        for number, wire, value in _fields(data):
            if number == 7 and wire == 2:
                graph = value
        if graph is None:
            raise ValueError("no graph")
        inputs: list[TensorInfo] = []
        outputs: list[TensorInfo] = []
        nodes: list[NodeInfo] = []
        scalars: dict[str, float] = {}
        initializer_names: set[str] = set()
        for number, wire, value in _fields(graph):
            if wire != 2:
                continue
            if number == 1:
                nodes.append(_node(value))
            elif number == 5:
                found = _scalar_initializer(value)
                if found:
                    scalars[found[0]] = found[1]
                for fn, _, fv in _fields(value):
                    if fn == 8:
                        initializer_names.add(bytes(fv).decode())
            elif number == 11:
                inputs.append(_value_info(value))
            elif number == 12:
                outputs.append(_value_info(value))
    except (ValueError, UnicodeDecodeError, struct.error) as exc:
        raise ModelError(f"{path.name} is not a valid ONNX model (the file is damaged or truncated).",
                         detail=str(exc)) from exc
    # Old exporters list initializers among the inputs; they are not real inputs.
    real_inputs = tuple(i for i in inputs if i.name not in initializer_names)
    return GraphSummary(real_inputs, tuple(outputs), tuple(nodes), scalars)
