"""A view's global motion: how the moving parts of the picture translate, scale and rotate.

A Kinetics model's pooled features say what a clip looks like; they barely say which way things
move (a clip and its time-reversed copy pool to nearly the same numbers). So a taught model also
reads four motion numbers per view, computed from its input by a few dozen elementwise nodes:

1. grey frames, averaged over 4x4 pixels (56x56 for I3D's 224x224), scaled to 0–16;
2. for each pair of neighbouring frames, the temporal difference It and the spatial gradients
   Ix, Iy of their mean (central differences);
3. a least-squares fit of a similarity motion (translation x, translation y, scale, rotation)
   to the brightness-constancy equation Ix·u + Iy·v + It = 0, with every pixel weighted by |It|
   (only what changes counts, so a busy still background does not damp the estimate), scale and
   rotation taken about the centre of that weight and in pixels per frame at its spread;
4. the 4x4 normal equations solved per frame pair (Cholesky, unrolled), then averaged over pairs.

The same code runs on numpy arrays (while extracting an example's features) and writes ONNX
nodes (inside a taught model), so both give the same numbers; the tests compare them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kinetoscope.engine.recipe import InputRecipe
from kinetoscope.engine.teach.onnx_edit import Node

MOTION_DIM = 4
MOTION_VERSION = 1          # part of the feature cache's key: change it when the numbers change
POOL = 4
GREY_SCALE = 16.0           # grey in 0–16 keeps every product and mean well inside fp16 on the NPU
RIDGE = 1e-4                # keeps the normal equations solvable on a still view
SOFT_NORM = 0.05            # motion vectors much shorter than this are treated as "no motion"


def applies(recipe: InputRecipe) -> bool:
    """Whether the motion numbers can be computed for inputs of this recipe (NCTHW, values 0–1, sizes a
    multiple of 4)."""
    h, w = recipe.crop
    return recipe.layout == "ncthw" and recipe.values.is_unit and recipe.frames >= 3 and h % POOL == 0 and w % POOL == 0 and h >= 4 * POOL \
        and w >= 4 * POOL


# ---------------------------------------------------------------- the computation, written once

def _time_mixers(frames: int) -> tuple[np.ndarray, np.ndarray]:
    """[frames - 1, frames] matrices giving the differences and the means of neighbouring frames."""
    diff = np.zeros((frames - 1, frames), np.float32)
    mean = np.zeros((frames - 1, frames), np.float32)
    for t in range(frames - 1):
        diff[t, t + 1], diff[t, t] = 1.0, -1.0
        mean[t, t + 1] = mean[t, t] = 0.5
    return diff, mean


_KERNELS = {
    "dx": np.array([[0, 0, 0], [-0.5, 0, 0.5], [0, 0, 0]], np.float32),
    "dy": np.array([[0, -0.5, 0], [0, 0, 0], [0, 0.5, 0]], np.float32),
    "centre": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], np.float32),
}


def _describe(ops: Any, video: Any, frames: int, height: int, width: int) -> Any:
    """The motion numbers [1, 4] of `video` [1, 3, T, H, W], in `ops`' arithmetic (numpy or ONNX nodes)."""
    grey = ops.grey_pooled(video)                              # [1, T, H/4, W/4], 0–16
    diff, mean = _time_mixers(frames)
    it_full = ops.mix_time(grey, diff)                         # [1, T-1, h, w]
    m = ops.mix_time(grey, mean)
    ix = ops.conv3x3(m, _KERNELS["dx"])                        # [1, T-1, h-2, w-2]
    iy = ops.conv3x3(m, _KERNELS["dy"])
    it = ops.conv3x3(it_full, _KERNELS["centre"])
    h, w = height // POOL - 2, width // POOL - 2
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    x0, y0 = ops.const((xx - (w - 1) / 2)[None, None]), ops.const((yy - (h - 1) / 2)[None, None])
    weight = ops.abs(it) + 1e-6
    total = ops.mean_hw(weight)                                 # [1, T-1, 1, 1]
    x = x0 - ops.mean_hw(weight * x0) / total
    y = y0 - ops.mean_hw(weight * y0) / total
    spread = ops.sqrt(ops.mean_hw(weight * (x * x + y * y)) / total) + 1e-3
    basis = [ix, iy, (x * ix + y * iy) / spread, (x * iy - y * ix) / spread]
    wb = [weight * b for b in basis]
    a = {(i, j): ops.mean_hw(wb[i] * basis[j]) for i in range(4) for j in range(i + 1)}
    rhs = [ops.mean_hw(v * it) * -1.0 for v in wb]
    scale = (a[0, 0] + a[1, 1] + a[2, 2] + a[3, 3]) * RIDGE + 1e-6
    for i in range(4):
        a[i, i] = a[i, i] + scale
    solution = _cholesky_solve(ops, a, rhs)
    return ops.concat_pairs_mean(solution)                      # [1, 4]


def _cholesky_solve(ops: Any, a: dict[tuple[int, int], Any], b: list[Any]) -> list[Any]:
    """x with A x = b for a symmetric positive definite 4x4 A given by its lower triangle."""
    n = len(b)
    low: dict[tuple[int, int], Any] = {}
    for i in range(n):
        for j in range(i + 1):
            s = a[i, j]
            for k in range(j):
                s = s - low[i, k] * low[j, k]
            low[i, j] = ops.sqrt(s) if i == j else s / low[j, j]
    y: list[Any] = []
    for i in range(n):
        s = b[i]
        for k in range(i):
            s = s - low[i, k] * y[k]
        y.append(s / low[i, i])
    x: list[Any] = [None] * n
    for i in reversed(range(n)):
        s = y[i]
        for k in range(i + 1, n):
            s = s - low[k, i] * x[k]
        x[i] = s / low[i, i]
    return x


# ---------------------------------------------------------------- numpy

class _Numpy:
    @staticmethod
    def grey_pooled(video: np.ndarray) -> np.ndarray:
        grey = video[0].mean(axis=0) * np.float32(GREY_SCALE)
        t, h, w = grey.shape
        return grey.reshape(1, t, h // POOL, POOL, w // POOL, POOL).mean(axis=(3, 5))

    @staticmethod
    def mix_time(x: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        return np.einsum("oc,nchw->nohw", matrix, x)

    @staticmethod
    def conv3x3(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        h, w = x.shape[2] - 2, x.shape[3] - 2
        out = np.zeros((*x.shape[:2], h, w), np.float32)
        for i in range(3):
            for j in range(3):
                if kernel[i, j]:
                    out += kernel[i, j] * x[:, :, i:i + h, j:j + w]
        return out

    const = staticmethod(np.asarray)
    abs = staticmethod(np.abs)
    sqrt = staticmethod(np.sqrt)

    @staticmethod
    def mean_hw(x: np.ndarray) -> np.ndarray:
        return x.mean(axis=(2, 3), keepdims=True)

    @staticmethod
    def concat_pairs_mean(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([p.mean(axis=1, keepdims=True) for p in parts], axis=1).reshape(1, -1)


def motion_numpy(video: np.ndarray) -> np.ndarray:
    """The motion numbers [4] (float32) of one model input [1, 3, T, H, W]."""
    _, _, frames, height, width = video.shape
    with np.errstate(all="ignore"):
        out = _describe(_Numpy, np.asarray(video, np.float32), frames, height, width)
    return np.nan_to_num(np.asarray(out, np.float32).reshape(-1))


# ---------------------------------------------------------------- ONNX nodes

@dataclass
class _Graph:
    """Collects the nodes and initializers `_describe` writes; tensor names start with `prefix`."""

    prefix: str
    nodes: list[Node] = field(default_factory=list)
    inits: list[tuple[str, np.ndarray]] = field(default_factory=list)
    count: int = 0

    def name(self, what: str) -> str:
        self.count += 1
        return f"{self.prefix}{what}_{self.count}"

    def node(self, op: str, inputs: tuple[str, ...], **attrs: Any) -> _Sym:
        out = self.name(op.lower())
        ints = tuple((k, v) for k, v in attrs.items() if isinstance(v, int))
        lists = tuple((k, tuple(v)) for k, v in attrs.items() if isinstance(v, (tuple, list)))
        self.nodes.append(Node(op, inputs, (out,), out, ints=ints, int_lists=lists))
        return _Sym(self, out)

    def init(self, value: np.ndarray) -> str:
        name = self.name("const")
        self.inits.append((name, np.asarray(value)))
        return name


class _Sym:
    """A tensor in the graph being written; arithmetic on it writes nodes."""

    def __init__(self, graph: _Graph, name: str) -> None:
        self.graph, self.tensor = graph, name

    def _other(self, other: _Sym | float) -> str:
        return other.tensor if isinstance(other, _Sym) else self.graph.init(np.array(other, np.float32))

    def _op(self, op: str, other: _Sym | float, swap: bool = False) -> _Sym:
        pair = (self._other(other), self.tensor) if swap else (self.tensor, self._other(other))
        return self.graph.node(op, pair)

    def __add__(self, other: _Sym | float) -> _Sym:
        return self._op("Add", other)

    __radd__ = __add__

    def __sub__(self, other: _Sym | float) -> _Sym:
        return self._op("Sub", other)

    def __rsub__(self, other: float) -> _Sym:
        return self._op("Sub", other, swap=True)

    def __mul__(self, other: _Sym | float) -> _Sym:
        return self._op("Mul", other)

    __rmul__ = __mul__

    def __truediv__(self, other: _Sym | float) -> _Sym:
        return self._op("Div", other)


class _Onnx:
    """`channels`: the frame pairs (T - 1), which the depthwise 3x3 convolutions run over."""

    def __init__(self, graph: _Graph, channels: int) -> None:
        self.g = graph
        self._channels = channels

    def grey_pooled(self, video: _Sym) -> _Sym:
        grey = self.g.node("ReduceMean", (video.tensor,), axes=(1,), keepdims=0) * GREY_SCALE
        return self.g.node("AveragePool", (grey.tensor,), kernel_shape=(POOL, POOL), strides=(POOL, POOL))

    def mix_time(self, x: _Sym, matrix: np.ndarray) -> _Sym:
        return self.g.node("Conv", (x.tensor, self.g.init(matrix[:, :, None, None])), kernel_shape=(1, 1))

    def conv3x3(self, x: _Sym, kernel: np.ndarray) -> _Sym:
        channels = self._channels
        weights = np.repeat(kernel[None, None], channels, axis=0).astype(np.float32)
        return self.g.node("Conv", (x.tensor, self.g.init(weights)), kernel_shape=(3, 3), group=channels)

    def const(self, value: np.ndarray) -> _Sym:
        return _Sym(self.g, self.g.init(value.astype(np.float32)))

    def abs(self, x: _Sym) -> _Sym:
        return self.g.node("Abs", (x.tensor,))

    def sqrt(self, x: _Sym) -> _Sym:
        return self.g.node("Sqrt", (x.tensor,))

    def mean_hw(self, x: _Sym) -> _Sym:
        return self.g.node("ReduceMean", (x.tensor,), axes=(2, 3), keepdims=1)

    def concat_pairs_mean(self, parts: list[_Sym]) -> _Sym:
        means = [self.g.node("ReduceMean", (p.tensor,), axes=(1,), keepdims=1) for p in parts]
        joined = self.g.node("Concat", tuple(m.tensor for m in means), axis=1)
        return self.g.node("Flatten", (joined.tensor,), axis=1)


@dataclass(frozen=True)
class MotionNodes:
    nodes: tuple[Node, ...]
    initializers: tuple[tuple[str, np.ndarray], ...]
    output: str              # [1, 4]


def motion_nodes(video: str, frames: int, height: int, width: int, prefix: str = "motion/") -> MotionNodes:
    """Nodes computing the motion numbers [1, 4] of the graph's input `video` [1, 3, T, H, W]."""
    graph = _Graph(prefix)
    ops = _Onnx(graph, frames - 1)
    out = _describe(ops, _Sym(graph, video), frames, height, width)
    return MotionNodes(tuple(graph.nodes), tuple(graph.inits), out.tensor)

