"""The leaf each tree sends a row to, found by masks instead of walks (QuickScorer: Lucchese et
al., "QuickScorer: a fast algorithm to rank documents with additive ensembles of regression
trees", SIGIR 2015), and the path (Saabas) contributions of those leaves.

Walking a tree is a chain of loads and branches that depend on the row: on the service's rows
the CPU mispredicts where each path turns and where it ends, which cost more than the loads.
Here each tree's leaves are numbered left to right and each split carries a mask of its tree's
leaves with those of its left subtree cleared. A row clears, in every tree, the left subtree
of each split it goes right at; the leaf it reaches is then the lowest leaf left (no split
that sends it right has it in its left subtree, and every leaf left of it is in the left
subtree of a split on its path that sent it right). The splits are grouped by
feature and sorted by threshold, so for an ordinary value the splits it goes right at are a
prefix of its feature's group: one predictable scan of a few kilobytes a feature. A NaN or a
value LightGBM reads as zero goes each split's own way (``compiled._step``), precomputed per
split.

Each leaf keeps its path from the root as (feature, change of node value) steps, so the
contributions are added tree by tree and step by step as the walk adds them: the same doubles.
Trees with more than 64 leaves do not fit a mask; ``MaskTables.of`` returns None for them and
the caller walks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt
from llvmlite import ir  # type: ignore[import-untyped]
from numba.extending import intrinsic

F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]
U8 = npt.NDArray[np.uint8]
U64 = npt.NDArray[np.uint64]

MAX_LEAVES = 64
"""The most leaves a tree may have for its leaves to fit one mask."""
ZERO = 1e-35
"""LightGBM's kZeroThreshold: a value within it of zero counts as zero for a split of missing
type Zero (here and in ``compiled``'s walk)."""
_RIGHT_IF_NAN, _RIGHT_IF_ZERO = 1, 2
"""Flags of a split: where a NaN, and where a value read as zero, goes (set: right)."""


def _cttz(typingctx: Any, mask: Any) -> tuple[Any, Any]:
    """The typing and code of ``_lowest_bit``: LLVM's ``cttz`` of an unsigned integer."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 0))

    return mask(mask), codegen


_lowest_bit: Any = intrinsic(_cttz)
"""The index of the lowest set bit of an unsigned integer, in Numba-compiled code."""

Packed = tuple[I32, F64, U64]
"""A ``MaskTables`` packed into one array per type (``MaskTables.packed``): a kernel call
unboxes each array argument, about 50 ns apiece, so three cost less than eleven."""
_HEAD = 4
"""The packed integers start with the counts of columns, splits, trees and leaves."""


@dataclass(frozen=True)
class MaskTables:
    """A model's splits as masks and its leaves with their paths.

    ``start[f]:start[f + 1]`` are the splits on row column f, by threshold ascending:
    ``threshold``, ``tree`` (its tree), ``mask`` (its tree's leaves less its left subtree's) and
    ``flags`` (``_RIGHT_IF_NAN``, ``_RIGHT_IF_ZERO``). ``full[t]`` has a bit for each leaf of
    tree t, whose leaves are ``first_leaf[t]`` on, left to right; leaf i has the value
    ``leaf_value[i]`` and the path steps ``path_start[i]:path_start[i + 1]`` of
    ``path_feature`` and ``path_change``, root first."""

    start: I32
    threshold: F64
    tree: I32
    mask: U64
    flags: U8
    full: U64
    first_leaf: I32
    leaf_value: F64
    path_start: I32
    path_feature: I32
    path_change: F64

    def packed(self) -> Packed:
        """The tables as ``masked_walk`` takes them: the integers (the counts of columns,
        splits, trees and leaves, then ``start``, ``tree`` shifted left by two bits over
        ``flags``, ``first_leaf``, ``path_start``, ``path_feature``), the doubles
        (``threshold``, ``leaf_value``, ``path_change``) and the masks (``mask``, ``full``)."""
        counts = [
            self.start.shape[0] - 1, self.tree.shape[0], self.full.shape[0],
            self.leaf_value.shape[0],
        ]  # fmt: skip
        tree_flags = (self.tree.astype(np.int64) << 2) | self.flags
        parts = (self.start, tree_flags, self.first_leaf, self.path_start, self.path_feature)
        ints = np.concatenate([np.array(counts, dtype=np.int64), *parts], dtype=np.int64)
        return (
            ints.astype(np.int32),
            np.concatenate([self.threshold, self.leaf_value, self.path_change]),
            np.concatenate([self.mask, self.full]),
        )

    @classmethod
    def of(cls, ints: I32, floats: F64, roots: I32) -> MaskTables | None:
        """The tables of ``compiled.CompiledTrees``' node arrays, or None when a tree has more
        than ``MAX_LEAVES`` leaves or a threshold is NaN (splits could not be sorted by it), or
        the tables would not fit 32-bit offsets."""
        lefts = ints[:, 0].tolist()
        codes = ints[:, 1].tolist()
        thresholds = floats[:, 0].tolist()
        values = floats[:, 1].tolist()
        if any(t != t for t, left in zip(thresholds, lefts, strict=True) if left >= 0):
            return None
        splits: list[tuple[int, float, int, int, int]] = []
        full: list[int] = []
        first_leaf: list[int] = []
        leaf_value: list[float] = []
        path_start = [0]
        path_feature: list[int] = []
        path_change: list[float] = []
        for t, root in enumerate(roots.tolist()):
            first = len(leaf_value)
            first_leaf.append(first)
            # depth first, left subtree before right; a split's entry (-1 - split) comes back
            # between the two, when its left subtree's leaves have all been numbered
            stack: list[tuple[int, tuple[tuple[int, float], ...]]] = [(root, ())]
            opened: dict[int, int] = {}
            """A split's first leaf (counted in its tree) until its left subtree is done."""
            while stack:
                node, path = stack.pop()
                if node < 0:
                    split = -1 - node
                    lo, hi = opened.pop(split), len(leaf_value) - first
                    code, threshold = codes[split], thresholds[split]
                    cleared = ((1 << hi) - 1) ^ ((1 << lo) - 1)
                    splits.append((code >> 3, threshold, t, cleared, _flags(code, threshold)))
                    continue
                left = lefts[node]
                if left < 0:
                    leaf_value.append(values[node])
                    path_feature += [f for f, _ in path]
                    path_change += [c for _, c in path]
                    path_start.append(len(path_feature))
                    continue
                feature = codes[node] >> 3
                opened[node] = len(leaf_value) - first
                stack.append((left + 1, (*path, (feature, values[left + 1] - values[node]))))
                stack.append((-1 - node, path))
                stack.append((left, (*path, (feature, values[left] - values[node]))))
            n = len(leaf_value) - first
            if n > MAX_LEAVES:
                return None
            full.append((1 << n) - 1)
        if max(len(path_feature), 4 * len(full)) >= 2**31:
            return None  # offsets and tree numbers must fit the packed int32
        splits.sort(key=lambda s: (s[0], s[1]))
        start = np.zeros(max((s[0] for s in splits), default=-1) + 2, dtype=np.int32)
        np.add.at(start, np.array([s[0] for s in splits], dtype=np.int64) + 1, 1)
        everything = (1 << 64) - 1
        return cls(
            start=np.cumsum(start).astype(np.int32),
            threshold=np.array([s[1] for s in splits], dtype=np.float64),
            tree=np.array([s[2] for s in splits], dtype=np.int32),
            mask=np.array([full[s[2]] & (everything ^ s[3]) for s in splits], dtype=np.uint64),
            flags=np.array([s[4] for s in splits], dtype=np.uint8),
            full=np.array(full, dtype=np.uint64),
            first_leaf=np.array(first_leaf, dtype=np.int32),
            leaf_value=np.array(leaf_value, dtype=np.float64),
            path_start=np.array(path_start, dtype=np.int32),
            path_feature=np.array(path_feature, dtype=np.int32),
            path_change=np.array(path_change, dtype=np.float64),
        )


def _flags(code: int, threshold: float) -> int:
    """Where a split sends a NaN and a value read as zero (``compiled._step``'s rule)."""
    missing = (code >> 1) & 3  # as compiled: default-left in bit 0, missing type in bits 1-2
    default_right = 1 - (code & 1)
    by_threshold = int(threshold < 0.0)
    nan = default_right if missing != 0 else by_threshold
    zero = default_right if missing == 1 else by_threshold
    return (_RIGHT_IF_NAN if nan else 0) | (_RIGHT_IF_ZERO if zero else 0)


@nb.njit(cache=True)
def masked_walk(x: F64, ints: I32, floats: F64, masks: U64, contrib: F64) -> float:
    """The raw score of ``x`` (the leaves' values summed tree by tree) with each leaf's path
    changes added to ``contrib``, in the order and to the doubles of ``compiled._walk`` with
    ``explain``. ``ints``, ``floats``, ``masks``: ``MaskTables.packed``."""
    n_columns, n_splits, n_trees, n_leaves = ints[0], ints[1], ints[2], ints[3]
    at = _HEAD
    start = ints[at : at + n_columns + 1]
    at += n_columns + 1
    tree = ints[at : at + n_splits]
    at += n_splits
    first_leaf = ints[at : at + n_trees]
    at += n_trees
    path_start = ints[at : at + n_leaves + 1]
    path_feature = ints[at + n_leaves + 1 :]
    threshold = floats[:n_splits]
    leaf_value = floats[n_splits : n_splits + n_leaves]
    path_change = floats[n_splits + n_leaves :]
    leaves = masks[n_splits:].copy()
    for f in range(n_columns):
        lo, hi = start[f], start[f + 1]
        if lo == hi:
            continue
        v = x[f]
        if v > ZERO or v < -ZERO:  # goes right where the threshold is below it
            i = lo
            while i < hi and threshold[i] < v:
                leaves[tree[i] >> 2] &= masks[i]
                i += 1
        else:
            way = _RIGHT_IF_NAN if v != v else _RIGHT_IF_ZERO
            for i in range(lo, hi):
                if tree[i] & way:
                    leaves[tree[i] >> 2] &= masks[i]
    total = 0.0
    for t in range(n_trees):
        leaf = first_leaf[t] + np.int64(_lowest_bit(leaves[t]))
        for p in range(path_start[leaf], path_start[leaf + 1]):
            contrib[path_feature[p]] += path_change[p]
        total += leaf_value[leaf]
    return total
