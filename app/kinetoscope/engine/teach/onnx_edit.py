"""Write the few ONNX messages a taught model's head needs, and splice them into a base graph.

Like `onnx_graph` reads without the `onnx` package, this writes without it: the app never ships
onnx. An ONNX model is a protocol-buffers message; the head is a handful of nodes, initializers
and one output, encoded here field by field. `splice` copies the base model's bytes field by field,
drops its class output and the nodes only that output used, and appends the head.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from kinetoscope.engine.modelfiles.onnx_graph import _fields, _node

# TensorProto.DataType
FLOAT, UINT8, INT8, INT32 = 1, 2, 3, 6
_DTYPE_OF = {np.dtype(np.float32): FLOAT, np.dtype(np.uint8): UINT8, np.dtype(np.int8): INT8,
             np.dtype(np.int32): INT32}
# AttributeProto.AttributeType
_ATTR_FLOAT, _ATTR_INT, _ATTR_INTS = 1, 2, 7


def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _key(number, 2) + _varint(len(payload)) + payload


def _str_field(number: int, text: str) -> bytes:
    return _bytes_field(number, text.encode())


def _int_field(number: int, value: int) -> bytes:
    return _key(number, 0) + _varint(value)


def tensor(name: str, value: np.ndarray) -> bytes:
    """A TensorProto (an initializer) holding `value` as raw little-endian data."""
    value = np.ascontiguousarray(value)
    out = b"".join(_int_field(1, d) for d in value.shape)
    out += _int_field(2, _DTYPE_OF[value.dtype]) + _str_field(8, name)
    return out + _bytes_field(9, value.astype(value.dtype.newbyteorder("<")).tobytes())


@dataclass(frozen=True)
class Node:
    op_type: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    name: str
    ints: tuple[tuple[str, int], ...] = ()
    floats: tuple[tuple[str, float], ...] = ()
    int_lists: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def encode(self) -> bytes:
        out = b"".join(_str_field(1, i) for i in self.inputs) + b"".join(_str_field(2, o) for o in self.outputs)
        out += _str_field(3, self.name) + _str_field(4, self.op_type)
        for attr, i in self.ints:
            out += _bytes_field(5, _str_field(1, attr) + _int_field(3, i) + _int_field(20, _ATTR_INT))
        for attr, f in self.floats:
            out += _bytes_field(5, _str_field(1, attr) + _key(2, 5) + struct.pack("<f", f)
                                + _int_field(20, _ATTR_FLOAT))
        for attr, values in self.int_lists:
            out += _bytes_field(5, _str_field(1, attr) + b"".join(_int_field(8, v) for v in values)
                                + _int_field(20, _ATTR_INTS))
        return out


def value_info(name: str, elem_type: int, shape: tuple[int, ...]) -> bytes:
    dims = b"".join(_bytes_field(1, _int_field(1, d)) for d in shape)
    tensor_type = _int_field(1, elem_type) + _bytes_field(2, dims)
    return _str_field(1, name) + _bytes_field(2, _bytes_field(1, tensor_type))


@dataclass(frozen=True)
class Addition:
    """What the head adds to a graph."""

    nodes: tuple[Node, ...]
    initializers: tuple[tuple[str, np.ndarray], ...]
    outputs: tuple[bytes, ...]   # encoded ValueInfoProtos


def _dead_nodes(nodes: list[tuple[memoryview, tuple[str, ...], tuple[str, ...]]], needed: set[str]) -> set[int]:
    """Indexes of the nodes that none of the `needed` tensors depends on."""
    producer = {o: k for k, (_, _, outs) in enumerate(nodes) for o in outs}
    live: set[int] = set()
    stack = list(needed)
    seen: set[str] = set()
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        k = producer.get(name)
        if k is not None and k not in live:
            live.add(k)
            stack.extend(i for i in nodes[k][1] if i)
    return set(range(len(nodes))) - live


def splice(model: bytes, drop_output: str, addition: Addition) -> bytes:
    """`model` (a serialized ModelProto) without the output `drop_output` and the nodes only it
    needed, with `addition`'s nodes, initializers and outputs appended."""
    view = memoryview(model)
    out = bytearray()
    for number, wire, value in _fields(view):
        if number != 7 or wire != 2:
            out += _reencode(number, wire, value)
            continue
        graph_fields = list(_fields(value))
        kept_outputs = set()
        for gn, gw, gv in graph_fields:
            if gn == 12:
                name = next(bytes(v).decode() for n, _, v in _fields(gv) if n == 1)
                if name != drop_output:
                    kept_outputs.add(name)
        nodes = [(gv, _node(gv).inputs, _node(gv).outputs) for gn, gw, gv in graph_fields if gn == 1 and gw == 2]
        consumers_of_new = {i for n in addition.nodes for i in n.inputs}
        dead = _dead_nodes(nodes, kept_outputs | consumers_of_new)
        dead_outputs = {o for k in dead for o in nodes[k][2]}
        used_after = {i for k, (_, ins, _) in enumerate(nodes) if k not in dead for i in ins}
        graph = bytearray()
        node_index = 0
        for gn, gw, gv in graph_fields:
            if gn == 1 and gw == 2:
                keep = node_index not in dead
                node_index += 1
                if keep:
                    graph += _bytes_field(1, bytes(gv))
                continue
            if gn == 12 and gw == 2:
                name = next(bytes(v).decode() for n, _, v in _fields(gv) if n == 1)
                if name == drop_output:
                    continue
            if gn == 5 and gw == 2:
                name = next((bytes(v).decode() for n, _, v in _fields(gv) if n == 8), "")
                if name and name not in used_after and name not in consumers_of_new:
                    continue  # weights only the dropped nodes read
            if gn == 13 and gw == 2:  # value_info of a dropped tensor
                name = next((bytes(v).decode() for n, _, v in _fields(gv) if n == 1), "")
                if name in dead_outputs:
                    continue
            graph += _reencode(gn, gw, gv)
        for node in addition.nodes:
            graph += _bytes_field(1, node.encode())
        for name, value in addition.initializers:
            graph += _bytes_field(5, tensor(name, value))
        for info in addition.outputs:
            graph += _bytes_field(12, info)
        out += _bytes_field(7, bytes(graph))
    return bytes(out)


def _reencode(number: int, wire: int, value: int | memoryview) -> bytes:
    if wire == 0:
        return _int_field(number, int(value))  # type: ignore[arg-type]
    if wire == 2:
        return _bytes_field(number, bytes(value))  # type: ignore[arg-type]
    return _key(number, wire) + bytes(value)  # type: ignore[arg-type]
