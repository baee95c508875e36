"""LightGBM trees compiled to flat arrays walked by a Numba kernel: the same raw score and
probability as ``Booster.predict`` for one row in about a microsecond, plus per-feature path
(Saabas) contributions for the reasons behind a score.

Every node of every tree is one row of two arrays: ``ints`` (split feature or -1 for a leaf,
left child, right child, flags: default-left and missing type) and ``floats`` (threshold, node
value). Children are global row numbers, so a walk never needs the tree's offset. The walk
follows LightGBM's ``Tree::NumericalDecision`` exactly (a NaN counts as 0.0 unless the split's
missing type is NaN; missing values go the split's default way), and trees are summed in
LightGBM's order, so the raw score is the same double.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_FEATURE, _LEFT, _RIGHT, _FLAGS = 0, 1, 2, 3
_THRESHOLD, _VALUE = 0, 1
_DEFAULT_LEFT = 1
_MISSING_SHIFT = 1
MISSING_TYPES: dict[str, int] = {"None": 0, "Zero": 1, "NaN": 2}
"""LightGBM's missing-value types of a numerical split, as stored in the flags' bits 1-2."""
_ZERO = 1e-35  # LightGBM's kZeroThreshold: |x| below it counts as zero for missing type Zero


class UnsupportedModelError(ValueError):
    """A LightGBM model the compiled walk does not reproduce: names the feature not supported."""


@nb.njit(cache=True, inline="always")
def _child(x: F64, node: int, ints: I64, floats: F64) -> Any:
    """The child (row number) LightGBM's NumericalDecision takes at ``node`` for row ``x``."""
    value = x[ints[node, _FEATURE]]
    flags = ints[node, _FLAGS]
    missing = flags >> _MISSING_SHIFT
    if np.isnan(value):
        if missing == 2:
            return ints[node, _LEFT] if flags & _DEFAULT_LEFT else ints[node, _RIGHT]
        value = 0.0
    elif -_ZERO <= value <= _ZERO:
        value = 0.0  # LightGBM's predictor keeps only |x| > kZeroThreshold: the rest is 0.0
    if missing == 1 and value == 0.0:
        return ints[node, _LEFT] if flags & _DEFAULT_LEFT else ints[node, _RIGHT]
    if value <= floats[node, _THRESHOLD]:
        return ints[node, _LEFT]
    return ints[node, _RIGHT]


@nb.njit(cache=True)
def _raw_one(x: F64, ints: I64, floats: F64, roots: I64) -> float:
    """Sum over trees of the leaf ``x`` reaches (LightGBM's order of addition)."""
    total = 0.0
    for t in range(roots.shape[0]):
        node = roots[t]
        while ints[node, _FEATURE] >= 0:
            node = _child(x, node, ints, floats)
        total += floats[node, _VALUE]
    return total


@nb.njit(cache=True)
def _raw_many(xs: F64, ints: I64, floats: F64, roots: I64, out: F64) -> None:
    """``_raw_one`` for every row of ``xs`` into ``out``."""
    for i in range(xs.shape[0]):
        out[i] = _raw_one(xs[i], ints, floats, roots)


@nb.njit(cache=True)
def _contrib_one(x: F64, ints: I64, floats: F64, roots: I64, contrib: F64) -> float:
    """Raw score of ``x``; adds each split's change of node value to its feature's entry of
    ``contrib`` (Saabas), so ``sum(contrib) + bias == raw`` up to rounding."""
    total = 0.0
    for t in range(roots.shape[0]):
        node = roots[t]
        while ints[node, _FEATURE] >= 0:
            child = _child(x, node, ints, floats)
            contrib[ints[node, _FEATURE]] += floats[child, _VALUE] - floats[node, _VALUE]
            node = child
        total += floats[node, _VALUE]
    return total


def _flatten(tree: Mapping[str, Any], ints: list[list[int]], floats: list[list[float]]) -> int:
    """Append ``tree``'s nodes (depth first, iteratively) and return its root's row."""
    root = len(ints)
    stack: list[tuple[Mapping[str, Any], int, int]] = [(tree, -1, 0)]
    while stack:
        node, parent, side = stack.pop()
        row = len(ints)
        if parent >= 0:
            ints[parent][side] = row
        if "leaf_value" in node:
            ints.append([-1, -1, -1, 0])
            floats.append([0.0, float(node["leaf_value"])])
            continue
        if node["decision_type"] != "<=":
            raise UnsupportedModelError(
                f"split on feature {node['split_feature']} has decision type "
                f"{node['decision_type']!r}: only numerical splits ('<=') are compiled; "
                "categorical features are not supported"
            )
        flags = (_DEFAULT_LEFT if node["default_left"] else 0) | (
            MISSING_TYPES[node["missing_type"]] << _MISSING_SHIFT
        )
        ints.append([int(node["split_feature"]), -1, -1, flags])
        floats.append([float(node["threshold"]), float(node["internal_value"])])
        stack.append((node["right_child"], row, _RIGHT))
        stack.append((node["left_child"], row, _LEFT))
    return root


def _sigmoid_scale(objective: str) -> float:
    """The ``sigmoid:`` factor of a binary objective string (``binary sigmoid:1``)."""
    kind, *options = objective.split()
    if kind not in ("binary", "cross_entropy", "xentropy"):
        raise UnsupportedModelError(
            f"objective {objective!r} is not supported: allowed is a binary LightGBM classifier"
        )
    for option in options:
        if option.startswith("sigmoid:"):
            return float(option.split(":", 1)[1])
    return 1.0


class CompiledTrees:
    """A binary LightGBM model as flat node arrays: ``raw`` / ``probability`` for one row or
    many, ``contributions`` per feature. Features are columns of the row given, in the model's
    order, unless built with ``columns`` (then column ``columns[j]`` of the row is feature j)."""

    def __init__(
        self,
        *,
        ints: I64,
        floats: F64,
        roots: I64,
        n_features: int,
        sigmoid: float,
        average: bool = False,
        feature_names: Sequence[str] = (),
    ) -> None:
        self.ints = np.ascontiguousarray(ints, dtype=np.int64)
        self.floats = np.ascontiguousarray(floats, dtype=np.float64)
        self.roots = np.ascontiguousarray(roots, dtype=np.int64)
        self.n_features = int(n_features)
        self.sigmoid = float(sigmoid)
        self.average = bool(average)
        self._scale = -self.sigmoid / (self.roots.shape[0] if self.average else 1)
        self.feature_names = tuple(feature_names)
        self.bias = float(sum(self.floats[r, _VALUE] for r in self.roots))
        """Sum of the trees' root values: the raw score before any split (Saabas's bias)."""

    @classmethod
    def from_dump(cls, dump: Mapping[str, Any]) -> CompiledTrees:
        """Compile ``Booster.dump_model()``'s output (a binary model, numerical splits)."""
        if int(dump.get("num_tree_per_iteration", 1)) != 1:
            raise UnsupportedModelError(
                f"model has {dump['num_tree_per_iteration']} trees per iteration: "
                "allowed is a binary classifier (one tree per iteration)"
            )
        sigmoid = _sigmoid_scale(str(dump.get("objective", "binary")))
        ints: list[list[int]] = []
        floats: list[list[float]] = []
        roots = [_flatten(tree["tree_structure"], ints, floats) for tree in dump["tree_info"]]
        if not ints:
            ints, floats = [[-1, -1, -1, 0]], [[0.0, 0.0]]
        return cls(
            ints=np.array(ints, dtype=np.int64).reshape(-1, 4),
            floats=np.array(floats, dtype=np.float64).reshape(-1, 2),
            roots=np.array(roots, dtype=np.int64),
            n_features=int(dump["max_feature_idx"]) + 1,
            sigmoid=sigmoid,
            average=bool(dump.get("average_output", False)),
            feature_names=dump.get("feature_names", ()),
        )

    @classmethod
    def from_booster(cls, booster: Any) -> CompiledTrees:
        """Compile a ``lightgbm.Booster`` (its best iteration, as ``predict`` uses)."""
        return cls.from_dump(booster.dump_model())

    def reindexed(self, columns: Sequence[int] | I64) -> CompiledTrees:
        """The same model reading feature j from column ``columns[j]`` of a wider row (e.g. the
        online features' full layout), so scoring needs no gather of the model's features."""
        cols = np.asarray(columns, dtype=np.int64)
        if cols.shape != (self.n_features,):
            raise ValueError(
                f"columns has shape {cols.shape}: allowed is one column per model feature "
                f"({self.n_features})"
            )
        ints = self.ints.copy()
        split = ints[:, _FEATURE] >= 0
        ints[split, _FEATURE] = cols[ints[split, _FEATURE]]
        out = CompiledTrees(
            ints=ints,
            floats=self.floats,
            roots=self.roots,
            n_features=self.n_features,
            sigmoid=self.sigmoid,
            average=self.average,
            feature_names=self.feature_names,
        )
        return out

    @property
    def n_trees(self) -> int:
        """Number of trees."""
        return int(self.roots.shape[0])

    def raw(self, x: F64) -> float:
        """Raw score (log-odds) of one row."""
        return float(_raw_one(x, self.ints, self.floats, self.roots))

    def probability(self, x: F64) -> float:
        """Fraud probability of one row (LightGBM's sigmoid of the raw score)."""
        return self.to_probability(_raw_one(x, self.ints, self.floats, self.roots))

    def to_probability(self, raw: float) -> float:
        """LightGBM's binary transform of a raw score: ``1 / (1 + exp(-sigmoid * raw))``, the raw
        score first divided by the number of trees for a random forest (``average_output``)."""
        return 1.0 / (1.0 + math.exp(self._scale * raw))

    def raw_many(self, xs: F64) -> F64:
        """Raw score of each row of a 2-D array."""
        matrix = np.ascontiguousarray(xs, dtype=np.float64)
        out = np.empty(matrix.shape[0], dtype=np.float64)
        _raw_many(matrix, self.ints, self.floats, self.roots, out)
        return out

    def probability_many(self, xs: F64) -> F64:
        """Fraud probability of each row of a 2-D array."""
        return np.asarray(1.0 / (1.0 + np.exp(self._scale * self.raw_many(xs))))

    def contributions(self, x: F64, out: F64) -> float:
        """Raw score of ``x``; writes each feature's path contribution into ``out`` (zeroed
        first; indexed like the row's columns). ``out.sum() + bias`` equals the raw score up to
        floating rounding."""
        out[:] = 0.0
        return float(_contrib_one(x, self.ints, self.floats, self.roots, out))


def lightgbm_booster(estimator: Any) -> Any | None:
    """The binary ``lightgbm.Booster`` inside a fitted ``LGBMClassifier`` or the registry's
    ``BoosterClassifier`` (None for any other estimator)."""
    booster = getattr(estimator, "booster_", None)
    if booster is None:
        return None
    import lightgbm as lgb

    return booster if isinstance(booster, lgb.Booster) else None


__all__ = ["MISSING_TYPES", "CompiledTrees", "UnsupportedModelError", "lightgbm_booster"]
