"""A linear probe on pooled features: the classifier a taught model adds to its base model.

Two methods, both a few lines of numpy, deterministic (no random state anywhere):
- "ncm", nearest class mean on normalised features: subtract the mean of all training features,
  scale to unit length, and score each action by the cosine to its normalised mean;
- "logreg", multinomial logistic regression on standardised features (L2-regularised, full-batch
  gradient descent from zero).
Both give logits = scale * (normalise(f - centre) @ W) + b for "ncm" and (f - centre) / spread @ W + b
for "logreg", so either is a handful of graph nodes over the features.

Blocks: the features can be several blocks side by side (a model's pooled features, then the four
motion numbers of `motion.py`). For "ncm" each block is centred (unless its zero means something,
as no motion does) and scaled to unit length on its own (softly: a vector much shorter than its
block's `floor` stays short, so a still view has no motion direction), and an action's score is a weighted sum of the blocks' cosines; the motion
block's weight is picked per set from MOTION_WEIGHTS by leave-one-clip-out accuracy (then by the
mean margin of the right action over the best wrong one). "logreg" sees the blocks side by side.

Rejection: one more class, "none of the taught actions", whose logit is a constant threshold. It
wins when no taught action scores above the threshold, which is calibrated on the examples' own
leave-one-clip-out scores (see `_threshold`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

METHODS = ("ncm", "logreg")
DEFAULT_METHOD = "ncm"
NONE_LABEL = "none of the taught actions"
# Candidate softmax scales for ncm's cosines (chosen per set by leave-one-clip-out log loss).
NCM_SCALES = (5.0, 10.0, 20.0, 40.0)
LOGREG_L2 = 1e-2
LOGREG_STEPS = 300
# The threshold: a fraction of a low quantile of the examples' held-out cosines (ncm), or a margin
# below it in logits (logreg). Measured on parts of the shared clips (README): held-out cosines
# 0.65-0.90, re-encoded later parts of the same clips 0.39-0.78, untaught clips at most 0.23.
REJECT_QUANTILE = 0.1
REJECT_FRACTION = 0.5
LOGREG_MARGIN = 1.0
# The weight of the last block (the motion numbers) against the first; 0 ignores it.
MOTION_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class Block:
    """`size` features side by side in the feature vector; `floor` is the length below which ncm's
    normalisation stops scaling a centred vector up (tiny for pooled features). `centred`: ncm
    subtracts the examples' mean; a block whose zero means something (no motion) keeps its zero,
    so a still view stays short and near no action."""

    size: int
    floor: float = 1e-6
    centred: bool = True


def single_block(dim: int) -> tuple[Block, ...]:
    return (Block(dim),)


def _soft_unit(x: np.ndarray, floor: float) -> np.ndarray:
    return x / np.sqrt((x * x).sum(axis=-1, keepdims=True) + floor * floor)


def _split(x: np.ndarray, blocks: tuple[Block, ...]) -> list[np.ndarray]:
    edges = np.cumsum([b.size for b in blocks])[:-1]
    return np.split(x, edges, axis=-1)


@dataclass(frozen=True)
class LinearHead:
    """logits = (normalise?)((f - centre) / spread) @ weights * scale + bias; the last column is "none".

    With `normalise`, each block of the centred features is scaled to unit length on its own (softly,
    see Block); the block weights are already in `weights`."""

    method: str
    centre: np.ndarray     # [D]
    spread: np.ndarray     # [D] (ones for ncm)
    normalise: bool        # unit length after centring (ncm)
    weights: np.ndarray    # [D, K + 1], the last column zero
    bias: np.ndarray       # [K + 1], the last entry the rejection threshold (times scale)
    scale: float
    blocks: tuple[Block, ...] = ()          # empty: one block, the whole vector
    block_weights: tuple[float, ...] = ()   # per block (ncm), for reports

    def logits(self, features: np.ndarray) -> np.ndarray:
        x = (np.atleast_2d(features) - self.centre) / self.spread
        if self.normalise and len(self.blocks) > 1:
            x = np.concatenate([_soft_unit(part, b.floor) for part, b in zip(_split(x, self.blocks), self.blocks)],
                               axis=1)
        elif self.normalise:
            x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-6)
        return (x @ self.weights) * self.scale + self.bias

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return softmax(self.logits(features))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-6)


@dataclass(frozen=True)
class _Fit:
    centre: np.ndarray
    spread: np.ndarray
    weights: np.ndarray   # [D, K]
    bias: np.ndarray      # [K]
    normalise: bool
    block_weights: tuple[float, ...] = (1.0,)


class _Prepared:
    """The training views transformed once: the centre and spread are label-free, so they come
    from all examples and every leave-one-clip-out fold shares them; folds differ only in which
    views' labels they learn from."""

    def __init__(self, method: str, x: np.ndarray, y: np.ndarray, k: int,
                 blocks: tuple[Block, ...] | None = None) -> None:
        self.method, self.y, self.k = method, y, k
        self.blocks = blocks or single_block(x.shape[1])
        self.weights = np.full(len(self.blocks), 1.0 / len(self.blocks))
        self.centre = x.mean(axis=0)
        if method == "ncm":
            for part, block in zip(_split(self.centre, self.blocks), self.blocks):
                if not block.centred:
                    part[:] = 0.0   # a view of self.centre
            self.spread = np.ones_like(self.centre)
            parts = _split(x - self.centre, self.blocks)
            self.zs = [_unit(p) if len(self.blocks) == 1 else _soft_unit(p, b.floor) for p, b in zip(parts, self.blocks)]
            self.block_sums = [np.stack([z[y == c].sum(axis=0) for c in range(k)]) for z in self.zs]   # [K, D_b]
        else:
            self.spread = x.std(axis=0) + 1e-3
            # Rows of about unit length, so a gradient step of 2 is stable.
            self.z = (x - self.centre) / (self.spread * np.sqrt(x.shape[1]))
            self.gram = self.z @ self.z.T

    def scores_without(self, held: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores [views, K] of the `held` views by a probe trained on the others, and which
        classes that probe knew (False where the held views were a class's only ones)."""
        keep = ~held
        known = np.bincount(self.y[keep], minlength=self.k) > 0
        if self.method == "ncm":
            return np.tensordot(self.weights, self.block_scores_without(held), axes=1), known
        a, b = self._dual_logreg(keep, known)
        return self.gram[np.ix_(held, keep)] @ a + b, known

    def block_scores_without(self, held: np.ndarray) -> np.ndarray:
        """ncm: each block's cosines [blocks, views, K] of the `held` views to the others' class means."""
        out = []
        for z, block_sums in zip(self.zs, self.block_sums):
            sums = block_sums.copy()
            np.subtract.at(sums, self.y[held], z[held])  # the held views leave their class's sum
            out.append(z[held] @ _unit(sums).T)
        return np.stack(out)

    def _dual_logreg(self, keep: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logistic regression with w = z[keep].T @ a (the L2 solution lies in the examples' span),
        so each step costs [N, N] @ [N, K] instead of [N, D] @ [D, K]."""
        gram = self.gram[np.ix_(keep, keep)]
        onehot = np.eye(self.k)[self.y[keep]]
        a = np.zeros((int(keep.sum()), self.k))
        b = np.where(known, 0.0, -1e4)  # a class without examples never wins
        n = len(onehot)
        for _ in range(LOGREG_STEPS):
            grad = (softmax(gram @ a + b) - onehot) / n
            a -= 2.0 * (grad + LOGREG_L2 * a)
            b = b - 2.0 * grad.sum(axis=0) * known
        return a, b

    def final(self) -> _Fit:
        everything = np.ones(len(self.y), bool)
        if self.method == "ncm":
            weights = np.vstack([w * _unit(s).T for w, s in zip(self.weights, self.block_sums)])
            return _Fit(self.centre, self.spread, weights, np.zeros(self.k), True, tuple(float(w) for w in self.weights))
        a, b = self._dual_logreg(everything, np.ones(self.k, bool))
        w = self.z.T @ a / np.sqrt(self.z.shape[1])
        return _Fit(self.centre, self.spread, w, b, False)


@dataclass(frozen=True)
class HeldOut:
    """One example scored by a probe trained without it."""

    example: int        # index into the training examples
    truth: int
    predicted: int      # the best taught action
    score: float        # its score (cosine or logit, averaged over the example's views)


@dataclass(frozen=True)
class ProbeReport:
    method: str
    labels: tuple[str, ...]             # the taught actions (without "none")
    examples_per_action: tuple[int, ...]
    held_out: tuple[HeldOut, ...]
    accuracy: float                     # leave-one-clip-out, best taught action
    accepted_accuracy: float            # leave-one-clip-out, with the rejection rule ("none" counts as wrong)
    per_action: tuple[float, ...]
    confusions: tuple[tuple[int, ...], ...]   # [truth][predicted], predicted's last column "none"
    threshold: float
    scale: float
    train_seconds: float
    warnings: tuple[str, ...]
    block_weights: tuple[float, ...] = (1.0,)   # ncm: each feature block's weight (the last: motion)

    def to_json(self) -> dict[str, object]:
        return {
            "method": self.method, "actions": list(self.labels), "examples": list(self.examples_per_action),
            "loo_accuracy": round(self.accuracy, 4), "loo_accuracy_with_rejection": round(self.accepted_accuracy, 4),
            "per_action_accuracy": {a: round(v, 4) for a, v in zip(self.labels, self.per_action)},
            "confusions": {"rows": list(self.labels), "columns": [*self.labels, NONE_LABEL],
                           "counts": [list(r) for r in self.confusions]},
            "rejection_threshold": round(self.threshold, 4), "scale": self.scale,
            "train_seconds": round(self.train_seconds, 4), "warnings": list(self.warnings),
            "block_weights": [round(w, 4) for w in self.block_weights],
        }


def train_probe(features: list[np.ndarray], classes: list[int], labels: tuple[str, ...],
                method: str = DEFAULT_METHOD,
                blocks: tuple[Block, ...] | None = None) -> tuple[LinearHead, ProbeReport]:
    """Train on examples (each [views, D] with its class) and evaluate leave-one-clip-out.

    `blocks` splits D into feature blocks (see the module's docstring); None is one block.

    Needs at least two actions; an action with one example is left out of nothing (its held-out
    run has no class mean to find) and counts as wrong, which the warnings explain.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    started = time.perf_counter()
    k = len(labels)
    x = np.concatenate(features).astype(np.float64)
    y = np.concatenate([np.full(len(f), c) for f, c in zip(features, classes)])
    group = np.concatenate([np.full(len(f), i) for i, f in enumerate(features)])
    counts = tuple(int(sum(1 for c in classes if c == a)) for a in range(k))
    blocks = blocks or single_block(x.shape[1])
    if sum(b.size for b in blocks) != x.shape[1]:
        raise ValueError(f"blocks of {sum(b.size for b in blocks)} features for features of {x.shape[1]}")
    prepared = _Prepared(method, x, y, k, blocks)
    if method == "ncm" and len(blocks) > 1:
        prepared.weights = _block_weights(prepared, group, classes)
    held: list[HeldOut] = []
    view_scores: list[np.ndarray] = []
    for i, c in enumerate(classes):
        s, known = prepared.scores_without(group == i)
        s = np.where(known, s, -np.inf)
        view_scores.append(s)
        mean = s.mean(axis=0)
        best = int(np.argmax(mean))
        held.append(HeldOut(i, c, best, float(mean[best])))
    final = prepared.final()
    threshold = _threshold(method, held)
    scale = _ncm_scale(view_scores, classes, threshold) if method == "ncm" else 1.0
    head = LinearHead(method, final.centre.astype(np.float32), final.spread.astype(np.float32), final.normalise,
                      np.hstack([final.weights, np.zeros((x.shape[1], 1))]).astype(np.float32),
                      (np.append(final.bias, threshold) * (scale if method == "ncm" else 1.0)).astype(np.float32),
                      scale, blocks if len(blocks) > 1 else (), final.block_weights)
    confusions = [[0] * (k + 1) for _ in range(k)]
    for h in held:
        confusions[h.truth][h.predicted if h.score >= threshold else k] += 1
    right = [h.predicted == h.truth for h in held]
    accepted = [h.predicted == h.truth and h.score >= threshold for h in held]
    per_action = tuple(float(np.mean([r for r, h in zip(accepted, held) if h.truth == a])) if counts[a] else 0.0
                       for a in range(k))
    warnings = tuple(f"{labels[a]!r} has {n} example{'s' if n != 1 else ''}; 3 or more make it reliable."
                     for a, n in enumerate(counts) if n < 3)
    report = ProbeReport(method, labels, counts, tuple(held), float(np.mean(right)), float(np.mean(accepted)),
                         per_action, tuple(tuple(r) for r in confusions), threshold, scale,
                         time.perf_counter() - started, warnings, final.block_weights)
    return head, report


def _block_weights(prepared: _Prepared, group: np.ndarray, classes: list[int]) -> np.ndarray:
    """ncm's block weights (the first block against the last) with the best leave-one-clip-out
    accuracy, ties broken by the larger mean margin of the right action over the best wrong one."""
    per_example = [prepared.block_scores_without(group == i).mean(axis=1) for i in range(len(classes))]  # [B, K]
    known = [np.bincount(prepared.y[group != i], minlength=prepared.k) > 0 for i in range(len(classes))]
    best, best_key = prepared.weights, (-1.0, -np.inf)
    for motion in MOTION_WEIGHTS:
        weights = np.zeros(len(prepared.blocks))
        weights[0], weights[-1] = 1.0 - motion, motion
        right, margins = 0, []
        for s, ok, c in zip(per_example, known, classes):
            score = np.where(ok, weights @ s, -np.inf)
            right += int(np.argmax(score)) == c
            wrong = np.delete(score, c)
            margins.append(score[c] - wrong.max() if np.isfinite(score[c]) else -1.0)
        key = (right / len(classes), float(np.mean(margins)))
        if key > best_key:
            best, best_key = weights, key
    return best


def _threshold(method: str, held: list[HeldOut]) -> float:
    """Well below a low quantile of the scores that held-out examples of taught actions reached.

    Examples are often parts of the same recordings, so their held-out scores run high; new clips
    of a taught action (another moment, another encoding) score lower, clips of something else
    lower still. Half the 10th percentile keeps the first and rejects the second (README).
    """
    scores = np.array([h.score for h in held if h.predicted == h.truth and np.isfinite(h.score)])
    if len(scores) == 0:
        scores = np.array([h.score for h in held if np.isfinite(h.score)] or [0.0])
    low = float(np.quantile(scores, REJECT_QUANTILE))
    return low * REJECT_FRACTION if method == "ncm" else low - LOGREG_MARGIN


def _ncm_scale(view_scores: list[np.ndarray], classes: list[int], threshold: float) -> float:
    """The softmax scale for cosines with the lowest held-out log loss (with the "none" column)."""
    best, best_loss = NCM_SCALES[0], np.inf
    for scale in NCM_SCALES:
        loss = 0.0
        for s, c in zip(view_scores, classes):
            z = np.hstack([np.where(np.isfinite(s), s, -10.0), np.full((len(s), 1), threshold)]) * scale
            p = softmax(z).mean(axis=0)
            loss -= np.log(max(p[c], 1e-9))
        if loss < best_loss:
            best, best_loss = scale, loss
    return best
