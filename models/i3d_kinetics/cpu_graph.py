"""The CPU variant of a w8a8 QDQ graph: the same integer model, laid out so onnxruntime's CPU kernels are fast.

The QDQ graph is made for the QNN HTP, which runs all of it as integers. onnxruntime's CPU provider
fuses its Q/DQ pairs into QLinear kernels, but two parts of it run far slower than in float there
(measured per node with onnxruntime's profiler, `bench/node_profile.py`):

- **Max pools on uint8** use a scalar loop; float max pools use MLAS's vector kernels. The HTP graph
  pools 3D as two 2D pools between Reshapes (it has no 3D pooling), each wrapped in Q/DQ, which
  onnxruntime turns into uint8 pools (and would again after any float rewrite: its QDQ
  propagation pushes Q/DQ through Reshape and MaxPool). Here each pool chain runs on floats
  reached by `Cast`, which no QDQ rule touches: uint8 -> float -> pool -> uint8. The values are
  small integers, the max of integers is one of them, and every Q/DQ of a chain shares one scale
  and zero point, so the result is bit-identical.
- **A strided convolution on 3 input channels** (the stem) builds its im2col buffer in
  channels-last order 3 bytes at a time. Rearranging the input space-to-depth (each stride-sized
  block of pixels becomes channels) turns it into a stride-1 convolution on 3·st·s² channels with
  a kernel ceil(k/s) wide, the weights rearranged to match and zero where the padded kernel has no
  tap. Same integer products, summed in another order (on x86 without VNNI, onnxruntime's u8s8
  kernels add products in saturating 16-bit pairs, so the order can move a result by a step).

Nothing else changes: weights, scales, zero points, inputs and outputs are those of the QDQ graph.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Stems with at most this many input channels are rearranged space-to-depth.
STEM_MAX_CHANNELS = 4
_CHAIN_OPS = ("Reshape", "MaxPool")


class _Index:
    """Producers, consumers and initializers of a graph, rebuilt after each rewrite."""

    def __init__(self, graph: onnx.GraphProto) -> None:
        self.graph = graph
        self.init = {t.name: t for t in graph.initializer}
        self.producer = {o: n for n in graph.node for o in n.output}
        self.consumers: dict[str, list[onnx.NodeProto]] = defaultdict(list)
        for n in graph.node:
            for i in n.input:
                self.consumers[i].append(n)

    def array(self, name: str) -> np.ndarray:
        return numpy_helper.to_array(self.init[name])

    def params(self, q_or_dq: onnx.NodeProto) -> tuple[float, int]:
        scale = self.array(q_or_dq.input[1])
        zero = self.array(q_or_dq.input[2]) if len(q_or_dq.input) > 2 and q_or_dq.input[2] else np.zeros((), np.uint8)
        if scale.size != 1 or zero.size != 1:
            raise ValueError(f"{q_or_dq.name}: per-channel activation quantization")
        return float(scale.reshape(())), int(zero.reshape(()))

    def only_consumer(self, tensor: str) -> onnx.NodeProto | None:
        users = self.consumers.get(tensor, [])
        return users[0] if len(users) == 1 else None


def cpu_variant(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of the QDQ `model` with its max pools on floats and its stem space-to-depth."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    shapes = _static_shapes(out)
    pools = float_max_pools(graph)
    stems = space_to_depth_stems(graph, shapes)
    _drop_dead_nodes(graph)
    _sort_topologically(graph)
    del graph.value_info[:]
    out.doc_string = (model.doc_string + " " if model.doc_string else "") + (
        f"CPU variant: {pools} max-pool chains on floats, {stems} stem(s) space-to-depth.")
    onnx.checker.check_model(out)
    return out


# -- max pools ----------------------------------------------------------------------------------
def float_max_pools(graph: onnx.GraphProto) -> int:
    """Run every DQ -> (Reshape | MaxPool)+ -> Q chain with a MaxPool on floats; returns how many."""
    idx = _Index(graph)
    done: set[str] = set()
    chains = 0
    for pool in list(graph.node):
        if pool.op_type != "MaxPool" or pool.name in done:
            continue
        chain = _pool_chain(idx, pool)
        if chain is None:
            continue
        entry, nodes, pairs, exit_q = chain
        done.update(n.name for n in nodes)
        # Inside: the chain's ops connect directly, without their Q/DQ pairs.
        for q, dq in pairs:
            for user in idx.consumers[dq.output[0]]:
                _replace_input(user, dq.output[0], q.input[0])
            graph.node.remove(q)
            graph.node.remove(dq)
        # Entry: the integers as floats; exit: back to the integer type the Q gave.
        first = nodes[0]
        as_float = f"{entry.output[0]}/as_float/{first.name}"
        graph.node.append(helper.make_node("Cast", [entry.input[0]], [as_float], name=f"{first.name}/to_float",
                                           to=TensorProto.FLOAT))
        _replace_input(first, entry.output[0], as_float)
        to = _tensor_type(idx, exit_q)
        graph.node.remove(exit_q)
        graph.node.append(helper.make_node("Cast", [exit_q.input[0]], [exit_q.output[0]],
                                           name=f"{exit_q.name}/as_cast", to=to))
        chains += 1
        idx = _Index(graph)
    return chains


def _pool_chain(idx: _Index, pool: onnx.NodeProto):
    """(entry DQ, chain nodes in order, inner Q/DQ pairs, exit Q) around `pool`, or None."""
    # Walk up to the entry DQ: through DQ <- Q <- (Reshape | MaxPool) links.
    nodes = [pool]
    pairs: list[tuple[onnx.NodeProto, onnx.NodeProto]] = []
    node = pool
    while True:
        dq = idx.producer.get(node.input[0])
        if dq is None or dq.op_type != "DequantizeLinear":
            return None
        q = idx.producer.get(dq.input[0])
        prev = idx.producer.get(q.input[0]) if q is not None and q.op_type == "QuantizeLinear" else None
        if prev is not None and prev.op_type in _CHAIN_OPS and idx.only_consumer(q.output[0]) is dq \
                and idx.only_consumer(dq.output[0]) is node and idx.only_consumer(prev.output[0]) is q:
            pairs.append((q, dq))
            nodes.insert(0, prev)
            node = prev
            continue
        entry = dq
        break
    # Walk down to the exit Q.
    node = pool
    while True:
        q = idx.only_consumer(node.output[0])
        if q is None or q.op_type != "QuantizeLinear":
            return None
        dq = idx.only_consumer(q.output[0])
        nxt = idx.only_consumer(dq.output[0]) if dq is not None and dq.op_type == "DequantizeLinear" else None
        if nxt is not None and nxt.op_type in _CHAIN_OPS:
            pairs.append((q, dq))
            nodes.append(nxt)
            node = nxt
            continue
        exit_q = q
        break
    wanted = idx.params(entry)
    if any(idx.params(n) != wanted for pair in pairs for n in pair) or idx.params(exit_q) != wanted:
        return None  # a requantization inside: dropping it would change values
    return entry, nodes, pairs, exit_q


def _tensor_type(idx: _Index, q: onnx.NodeProto) -> int:
    if len(q.input) > 2 and q.input[2] in idx.init:
        return idx.init[q.input[2]].data_type
    return TensorProto.UINT8


# -- the stem -----------------------------------------------------------------------------------
def space_to_depth_stems(graph: onnx.GraphProto, shapes: dict[str, list[int]]) -> int:
    """Rearrange each strided Conv on few input channels space-to-depth; returns how many.

    `shapes` holds the static shapes of the graph's tensors (`_static_shapes`).
    """
    count = 0
    for conv in list(graph.node):
        if conv.op_type == "Conv" and _space_to_depth(graph, _Index(graph), conv, shapes):
            count += 1
    return count


def _space_to_depth(graph: onnx.GraphProto, idx: _Index, conv: onnx.NodeProto, shapes: dict[str, list[int]]) -> bool:
    """Rewrite one 3D `conv` (strides (st, s, s)) as a stride-1 conv on its input cut into blocks.

    Spatially by ONNX's SpaceToDepth (a fast kernel for uint8, where a general 8D Transpose is
    slow), over time by a Reshape and a Transpose that moves whole frames. The new channel of
    input channel c at offset (et, bh, bw) in its block is ((bh * s + bw) * C + c) * st + et.
    """
    x_dq, w_dq = idx.producer.get(conv.input[0]), idx.producer.get(conv.input[1])
    if x_dq is None or w_dq is None or x_dq.op_type != "DequantizeLinear" or w_dq.op_type != "DequantizeLinear":
        return False
    if w_dq.input[0] not in idx.init:
        return False
    weight = idx.array(w_dq.input[0])
    if weight.ndim != 5:
        return False
    att = {a.name: helper.get_attribute_value(a) for a in conv.attribute}
    kernel = list(att.get("kernel_shape", weight.shape[2:]))
    strides = list(att.get("strides", [1, 1, 1]))
    pads = list(att.get("pads", [0] * 6))
    st, s = strides[0], strides[1]
    if (weight.shape[1] > STEM_MAX_CHANNELS or strides[2] != s or s == 1 or att.get("group", 1) != 1
            or any(d != 1 for d in att.get("dilations", [1, 1, 1])) or att.get("auto_pad", b"NOTSET") != b"NOTSET"):
        return False
    w_zero = idx.array(w_dq.input[2]) if len(w_dq.input) > 2 and w_dq.input[2] else np.zeros(1)
    if np.any(w_zero != 0):
        return False  # padding the kernel with 0 must mean a weight of 0
    shape = shapes.get(x_dq.input[0])
    if shape is None or len(shape) != 5 or shape[0] != 1:
        return False
    channels, size = shape[1], shape[2:]
    blocks_k = [math.ceil(k / b) for k, b in zip(kernel, strides)]
    out = [(n + pads[i] + pads[i + 3] - kernel[i]) // strides[i] + 1 for i, n in enumerate(size)]
    blocks = [o + b - 1 for o, b in zip(out, blocks_k)]
    explicit = [0] * 6
    for i, b in enumerate(strides):
        if b > 1:  # this axis is padded here, in the integer domain, then cut into blocks
            explicit[i], explicit[i + 3] = pads[i], b * blocks[i] - size[i] - pads[i]
            if explicit[i + 3] < 0:
                return False
    _, zero_point = idx.params(x_dq)
    name = conv.name + "/space_to_depth"
    source = x_dq.input[0]
    nodes = []

    def const(suffix: str, values: list[int]) -> str:
        graph.initializer.append(numpy_helper.from_array(np.asarray(values, np.int64), f"{name}/{suffix}_value"))
        return f"{name}/{suffix}_value"

    def node(op: str, inputs: list[str], suffix: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [f"{name}/{suffix}"], name=f"{name}/{suffix}", **attrs))
        return f"{name}/{suffix}"

    if any(explicit):
        graph.initializer.append(helper.make_tensor(f"{name}/pad_value", _tensor_type(idx, x_dq), [], [zero_point]))
        source = node("Pad", [source, const("pads", [0, 0, *explicit[:3], 0, 0, *explicit[3:]]), f"{name}/pad_value"], "padded")
        size = [n + explicit[i] + explicit[i + 3] for i, n in enumerate(size)]
    t, h, w = size
    flat = node("Reshape", [source, const("frames_as_channels", [1, channels * t, h, w])], "frames_as_channels")
    spatial = node("SpaceToDepth", [flat], "space_to_depth", blocksize=s)
    merged = s * s * channels
    if st > 1:
        split = node("Reshape", [spatial, const("time_split", [1, merged, t // st, st, h // s, w // s])], "time_split")
        spatial = node("Transpose", [split], "time_to_depth", perm=[0, 1, 3, 2, 4, 5])
        merged *= st
    blocked = node("Reshape", [spatial, const("blocks_shape", [1, merged, t // st, h // s, w // s])], "blocks")
    dequantized = node("DequantizeLinear", [blocked, *x_dq.input[1:]], "dequantized")
    graph.node.extend(nodes)
    _replace_input(conv, conv.input[0], dequantized)
    # The kernel, zero-padded to whole blocks and cut the same way.
    o, c = weight.shape[:2]
    padded = np.zeros((o, c, *[b * k for b, k in zip(strides, blocks_k)]), weight.dtype)
    padded[:, :, :kernel[0], :kernel[1], :kernel[2]] = weight
    cut = padded.reshape(o, c, blocks_k[0], st, blocks_k[1], s, blocks_k[2], s)
    w_new = np.ascontiguousarray(cut.transpose(0, 5, 7, 1, 3, 2, 4, 6).reshape(o, merged, *blocks_k))
    graph.initializer.append(numpy_helper.from_array(w_new, f"{name}/weight_quantized"))
    graph.node.append(helper.make_node("DequantizeLinear", [f"{name}/weight_quantized", *w_dq.input[1:]],
                                       [f"{name}/weight"], name=f"{name}/weight_dequantize",
                                       axis=next((a.i for a in w_dq.attribute if a.name == "axis"), 1)))
    _replace_input(conv, conv.input[1], f"{name}/weight")
    new_pads = [0 if b > 1 else p for b, p in zip(strides + strides, pads)]
    del conv.attribute[:]
    conv.attribute.extend([helper.make_attribute("kernel_shape", blocks_k), helper.make_attribute("strides", [1, 1, 1]),
                           helper.make_attribute("pads", new_pads)])
    return True


def _static_shapes(model: onnx.ModelProto) -> dict[str, list[int]]:
    """Every tensor whose shape onnx's shape inference fixes, by name."""
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {}
    for info in [*inferred.graph.input, *inferred.graph.value_info]:
        dims = info.type.tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            shapes[info.name] = [d.dim_value for d in dims]
    return shapes


# -- plumbing -----------------------------------------------------------------------------------
def _replace_input(node: onnx.NodeProto, old: str, new: str) -> None:
    for k, name in enumerate(node.input):
        if name == old:
            node.input[k] = new


def _drop_dead_nodes(graph: onnx.GraphProto) -> None:
    """Remove nodes whose outputs nothing uses (onnxruntime would still run them), then unused initializers."""
    outputs = {o.name for o in graph.output}
    while True:
        used = {i for n in graph.node for i in n.input} | outputs
        dead = [n for n in graph.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            graph.node.remove(n)
    used = {i for n in graph.node for i in n.input}
    kept = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)


def _sort_topologically(graph: onnx.GraphProto) -> None:
    ready = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    pending, ordered = list(graph.node), []
    while pending:
        rest = []
        for n in pending:
            if all(i in ready for i in n.input):
                ordered.append(n)
                ready.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            raise ValueError(f"the rewritten graph has a cycle or a missing input at {rest[0].name}")
        pending = rest
    del graph.node[:]
    graph.node.extend(ordered)
