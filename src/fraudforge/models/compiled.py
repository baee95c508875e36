"""LightGBM trees compiled to flat arrays walked by a Numba kernel: the same raw score and
probability as ``Booster.predict`` for one row in about a microsecond, plus per-feature path
(Saabas) contributions for the reasons behind a score.

Every node of every tree is one row of two arrays: ``ints`` (int32: the row of its left child,
-1 for a leaf, with the right child on the next row; the split feature shifted left by 3 bits
with the flags default-left and missing type below) and ``floats`` (threshold, node value).
Children are global row numbers and sit next to each other, so a walk needs no tree offset, the
right child is ``left + 1`` (no branch on the direction) and a 300-tree model takes about 24
bytes a node (it stays in the L2 cache). The walk follows LightGBM's ``Tree::NumericalDecision``
exactly (a NaN counts as 0.0 unless the split's missing type is NaN; missing values go the
split's default way), and trees are summed in LightGBM's order, so the raw score is the same
double.

The trees come from a ``lightgbm.Booster`` (``from_booster``) or, without importing LightGBM,
from its text model file (``from_text``, ``TextBooster``): the serving image scores with these
alone, so it carries neither LightGBM nor the SciPy that LightGBM's package imports.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt

from fraudforge.foundation.errors import DataError, ModelError
from fraudforge.models._masks import ZERO as _ZERO
from fraudforge.models._masks import MaskTables, Packed, masked_walk

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

I32 = npt.NDArray[np.int32]

_LEFT, _CODE = 0, 1
_THRESHOLD, _VALUE = 0, 1
_DEFAULT_LEFT = 1
_MISSING_SHIFT = 1
_FEATURE_SHIFT = 3
MISSING_TYPES: dict[str, int] = {"None": 0, "Zero": 1, "NaN": 2}
"""LightGBM's missing-value types of a numerical split, as stored in the flags' bits 1-2."""


class UnsupportedModelError(ModelError):
    """A LightGBM model the compiled walk does not reproduce: names the feature not supported."""


class ModelTextError(ModelError):
    """A LightGBM text model that cannot be read: names the line or key that is wrong."""


@nb.njit(inline="always")
def _step(x: F64, ints: I32, floats: F64, node: int, left: int) -> tuple[int, int]:
    """The child of split ``node`` (whose left child is ``left``) that ``x`` goes to, and the
    split's feature.

    The decision is LightGBM's ``Tree::NumericalDecision``: NaN counts as 0.0 unless the split's
    missing type is NaN (then it goes the default way); |x| <= kZeroThreshold is 0.0 (LightGBM's
    predictor drops such values), which goes the default way when the missing type is Zero."""
    code = ints[node, _CODE]
    feature = code >> _FEATURE_SHIFT
    value = x[feature]
    if value > _ZERO or value < -_ZERO:  # the common case: neither missing nor zero
        return left + (value > floats[node, _THRESHOLD]), feature
    missing = (code >> _MISSING_SHIFT) & 3
    # NaN goes the default way unless the missing type is None; zero if it is Zero
    default = missing != 0 if value != value else missing == 1
    if default:
        return left + (1 - (code & _DEFAULT_LEFT)), feature
    return left + (floats[node, _THRESHOLD] < 0.0), feature


@nb.njit(cache=True)
def _walk(
    x: F64,
    ints: I32,
    floats: F64,
    roots: I32,
    contrib: F64,
    explain: bool,
    first: int = 0,
    total: float = 0.0,
) -> float:
    """Sum over trees of the leaf ``x`` reaches, in LightGBM's order of addition; with
    ``explain``, adds each split's change of node value to its feature's entry of ``contrib``
    (Saabas), so ``sum(contrib) + bias == raw`` up to rounding. Each split decides as
    ``_step``. ``first``, ``total``: start at that tree, adding on to that sum."""
    for t in range(first, roots.shape[0]):
        node = roots[t]
        left = ints[node, _LEFT]
        while left >= 0:
            child, feature = _step(x, ints, floats, node, left)
            if explain:
                contrib[feature] += floats[child, _VALUE] - floats[node, _VALUE]
            node = child
            left = ints[node, _LEFT]
        total += floats[node, _VALUE]
    return total


_LANES = 4
"""Trees walked together by ``_walk_explain``."""


@nb.njit(cache=True)
def _walk_explain(x: F64, ints: I32, floats: F64, roots: I32, contrib: F64, deepest: int) -> float:
    """``_walk`` with ``explain``, to the same doubles, about a fifth faster: ``_LANES`` trees
    are walked together, a split of each per turn, so the CPU overlaps their chains of
    dependent loads (one tree's next node depends on its last). The first tree of a group adds
    its changes to ``contrib`` as it goes; the others' are kept and added after it, tree by
    tree, so every sum is made in the plain walk's order. ``deepest``: the most splits on any
    path."""
    total = 0.0
    n = roots.shape[0]
    nodes = np.empty(_LANES, dtype=np.int64)
    lefts = np.empty(_LANES, dtype=np.int64)
    kept = np.zeros(_LANES, dtype=np.int64)
    features = np.empty((_LANES, max(deepest, 1)), dtype=np.int64)
    changes = np.empty((_LANES, max(deepest, 1)), dtype=np.float64)
    t = 0
    while t + _LANES <= n:
        for j in range(_LANES):
            nodes[j] = roots[t + j]
            lefts[j] = ints[nodes[j], _LEFT]
            kept[j] = 0
        going = True
        while going:
            going = False
            if lefts[0] >= 0:
                node = nodes[0]
                child, feature = _step(x, ints, floats, node, lefts[0])
                contrib[feature] += floats[child, _VALUE] - floats[node, _VALUE]
                nodes[0] = child
                lefts[0] = ints[child, _LEFT]
                going = True
            for j in range(1, _LANES):
                if lefts[j] >= 0:
                    node = nodes[j]
                    child, feature = _step(x, ints, floats, node, lefts[j])
                    features[j, kept[j]] = feature
                    changes[j, kept[j]] = floats[child, _VALUE] - floats[node, _VALUE]
                    kept[j] += 1
                    nodes[j] = child
                    lefts[j] = ints[child, _LEFT]
                    going = True
        total += floats[nodes[0], _VALUE]
        for j in range(1, _LANES):
            for i in range(kept[j]):
                contrib[features[j, i]] += changes[j, i]
            total += floats[nodes[j], _VALUE]
        t += _LANES
    # the last trees (fewer than a group) one by one, adding on to the sum so far
    return _walk(x, ints, floats, roots, contrib, True, t, total)


@nb.njit(cache=True)
def top_positive(contrib: F64, k: int, out: I64) -> int:
    """Indices of the up to ``k`` largest positive entries of ``contrib``, largest first (of
    equal ones, the first), into ``out``; returns how many. One pass, each entry that beats
    the smallest kept one inserted in place (k is small): a selection pass per rank cost
    about 0.1 µs more for each."""
    n = 0
    if k <= 0:
        return 0
    for j in range(contrib.shape[0]):
        c = contrib[j]
        if c > 0.0 and (n < k or c > contrib[out[n - 1]]):
            i = n if n < k else k - 1
            while i > 0 and contrib[out[i - 1]] < c:
                out[i] = out[i - 1]
                i -= 1
            out[i] = j
            if n < k:
                n += 1
    return n


@nb.njit(cache=True)
def _explain(
    x: F64, ints: I32, floats: F64, roots: I32, deepest: int, contrib: F64, k: int, top: I64
) -> tuple[float, int]:
    """``_walk_explain`` into ``contrib`` (zeroed first), then ``top_positive`` of
    them: one call where a scored and explained request made three (the zeroing, the walk and
    the selection), each paying the dispatcher's unboxing of its arrays."""
    contrib[:] = 0.0
    raw = _walk_explain(x, ints, floats, roots, contrib, deepest)
    return raw, top_positive(contrib, k, top)


@nb.njit(cache=True)
def explain_masked(
    x: F64, ints: I32, floats: F64, masks: npt.NDArray[np.uint64], contrib: F64, k: int, top: I64
) -> tuple[float, int]:
    """``CompiledTrees.explain`` with the leaves found by masks, in compiled code (for kernels
    that explain a row among other work): ``ints``, ``floats``, ``masks`` are
    ``CompiledTrees.mask_tables()``."""
    contrib[:] = 0.0
    raw = masked_walk(x, ints, floats, masks, contrib)
    return raw, top_positive(contrib, k, top)


@nb.njit(cache=True)
def _raw_many(xs: F64, ints: I32, floats: F64, roots: I32, out: F64) -> None:
    """The raw score of every row of ``xs`` into ``out``."""
    none = np.zeros(1, dtype=np.float64)
    for i in range(xs.shape[0]):
        out[i] = _walk(xs[i], ints, floats, roots, none, False)


def _flatten(
    tree: Mapping[str, Any], ints: list[list[int]], floats: list[list[float]], n_features: int
) -> int:
    """Append ``tree``'s nodes (each node's two children on adjacent rows) and return its root's
    row; a split on a feature outside ``0 .. n_features - 1`` is refused (the walk does not check
    bounds)."""
    root = len(ints)
    ints.append([-1, 0])
    floats.append([0.0, 0.0])
    stack: list[tuple[Mapping[str, Any], int]] = [(tree, root)]
    while stack:
        node, row = stack.pop()
        if "leaf_value" in node:
            floats[row] = [0.0, float(node["leaf_value"])]
            continue
        if node["decision_type"] != "<=":
            raise UnsupportedModelError(
                f"split on feature {node['split_feature']} has decision type "
                f"{node['decision_type']!r}: only numerical splits ('<=') are compiled; "
                "categorical features are not supported"
            )
        feature = int(node["split_feature"])
        if not 0 <= feature < n_features:
            raise UnsupportedModelError(
                f"split on feature {feature}: the model has features 0 to {n_features - 1}; "
                "the model is damaged"
            )
        if node["missing_type"] not in MISSING_TYPES:
            raise UnsupportedModelError(
                f"split on feature {feature} has missing type {node['missing_type']!r}: allowed "
                f"are {', '.join(MISSING_TYPES)}"
            )
        left = len(ints)
        ints += [[-1, 0], [-1, 0]]
        floats += [[0.0, 0.0], [0.0, 0.0]]
        code = (
            (int(node["split_feature"]) << _FEATURE_SHIFT)
            | (MISSING_TYPES[node["missing_type"]] << _MISSING_SHIFT)
            | (_DEFAULT_LEFT if node["default_left"] else 0)
        )
        ints[row] = [left, code]
        floats[row] = [float(node["threshold"]), float(node["internal_value"])]
        stack.append((node["right_child"], left + 1))
        stack.append((node["left_child"], left))
    return root


def _deepest(ints: I32, roots: I32) -> int:
    """The most splits on any path from one of ``roots`` to a leaf of the node array."""
    lefts = ints[:, _LEFT].tolist()
    deepest = 0
    stack = [(int(r), 0) for r in roots.tolist()]
    while stack:
        node, depth = stack.pop()
        left = lefts[node]
        if left < 0:
            deepest = max(deepest, depth)
        else:
            stack += [(left, depth + 1), (left + 1, depth + 1)]
    return deepest


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
    order, unless built with ``columns`` (then column ``columns[j]`` of the row is feature j).

    Parameters
    ----------
    ints
        One int32 row per node: its left child's row (-1 for a leaf; the right child is the
        next row) and its split feature with the default-left and missing-type flags (see
        the module's docstring).
    floats
        One row per node: its threshold and its value.
    roots
        Each tree's first node.
    n_features
        How many features a row has.
    sigmoid
        LightGBM's sigmoid parameter of the binary objective.
    average
        Whether the output is averaged over the trees (a random forest, ``average_output``).
    feature_names
        The features in the model's order.
    """

    def __init__(
        self,
        *,
        ints: I32,
        floats: F64,
        roots: I32,
        n_features: int,
        sigmoid: float,
        average: bool = False,
        feature_names: Sequence[str] = (),
    ) -> None:
        self.ints: I32 = np.ascontiguousarray(ints, dtype=np.int32)
        self.floats: F64 = np.ascontiguousarray(floats, dtype=np.float64)
        self.roots: I32 = np.ascontiguousarray(roots, dtype=np.int32)
        self.n_features = int(n_features)
        self.sigmoid = float(sigmoid)
        self.average = bool(average)
        self._scale = -self.sigmoid / (self.roots.shape[0] if self.average else 1)
        self.feature_names = tuple(feature_names)
        self._none = np.zeros(1, dtype=np.float64)
        self.deepest = _deepest(self.ints, self.roots)
        """The most splits on a path from a root to a leaf."""
        self.bias = float(sum(self.floats[r, _VALUE] for r in self.roots))
        """Sum of the trees' root values: the raw score before any split (Saabas's bias)."""
        self._masks: Packed | None = None
        """``explain``'s ``MaskTables`` (their arrays), built on its first call."""
        self._walks = False
        """Whether ``explain`` walks the trees: they do not fit masks."""

    @classmethod
    def from_dump(cls, dump: Mapping[str, Any]) -> CompiledTrees:
        """Compile ``Booster.dump_model()``'s output (a binary model, numerical splits).

        Parameters
        ----------
        dump
            The mapping ``Booster.dump_model()`` returns, or ``parse_model_text``'s.

        Returns
        -------
        CompiledTrees
            The model's trees as node arrays.

        Raises
        ------
        UnsupportedModelError
            For a model that is not a binary classifier, a categorical split, an unknown
            missing type, a split on a feature the model does not have, or a dump that lacks
            a key the walk needs.
        """
        if int(dump.get("num_tree_per_iteration", 1)) != 1:
            raise UnsupportedModelError(
                f"model has {dump['num_tree_per_iteration']} trees per iteration: "
                "allowed is a binary classifier (one tree per iteration)"
            )
        sigmoid = _sigmoid_scale(str(dump.get("objective", "binary")))
        ints: list[list[int]] = []
        floats: list[list[float]] = []
        n_features = int(dump["max_feature_idx"]) + 1
        try:
            roots = [
                _flatten(tree["tree_structure"], ints, floats, n_features)
                for tree in dump["tree_info"]
            ]
        except (KeyError, TypeError) as exc:
            raise UnsupportedModelError(
                f"the model's tree dump lacks {exc}: not a LightGBM model this compiles"
            ) from None
        if not ints:
            ints, floats = [[-1, 0]], [[0.0, 0.0]]
        return cls(
            ints=np.array(ints, dtype=np.int32).reshape(-1, 2),
            floats=np.array(floats, dtype=np.float64).reshape(-1, 2),
            roots=np.array(roots, dtype=np.int32),
            n_features=n_features,
            sigmoid=sigmoid,
            average=bool(dump.get("average_output", False)),
            feature_names=dump.get("feature_names", ()),
        )

    @classmethod
    def from_booster(cls, booster: Any) -> CompiledTrees:
        """Compile a ``lightgbm.Booster`` (its best iteration, as ``predict`` uses) through its
        text model, as the service reads a registered model (``from_text``), so a model
        compiles to the same doubles whichever way it was loaded; or a ``TextBooster`` (already
        compiled: its trees are returned).

        Parameters
        ----------
        booster
            A fitted binary ``lightgbm.Booster``, or a ``TextBooster``.

        Returns
        -------
        CompiledTrees
            The model's trees as node arrays.

        Raises
        ------
        UnsupportedModelError
            For a model the walk does not reproduce (as ``from_dump``).
        """
        if isinstance(booster, TextBooster):
            return booster.trees
        return cls.from_text(booster.model_to_string())

    @classmethod
    def from_text(cls, text: str) -> CompiledTrees:
        """Compile LightGBM's text model (``Booster.model_to_string``, a saved model file)
        without LightGBM: ``parse_model_text``, then ``from_dump``.

        Parameters
        ----------
        text
            The whole text model.

        Returns
        -------
        CompiledTrees
            The model's trees as node arrays.

        Raises
        ------
        ModelTextError
            For a damaged or truncated text, naming what is wrong.
        UnsupportedModelError
            For a model the walk does not reproduce (as ``from_dump``).
        """
        return cls.from_dump(parse_model_text(text))

    def reindexed(self, columns: Sequence[int] | I64) -> CompiledTrees:
        """The same model reading feature j from column ``columns[j]`` of a wider row (e.g. the
        online features' full layout), so scoring needs no gather of the model's features.

        Parameters
        ----------
        columns
            For each of the model's features, in its order, its column in the wider row.

        Returns
        -------
        CompiledTrees
            A copy that reads the wider rows.
        """
        cols = np.asarray(columns, dtype=np.int64)
        if cols.shape != (self.n_features,):
            raise DataError(
                f"columns has shape {cols.shape}: allowed is one column per model feature "
                f"({self.n_features})"
            )
        ints = self.ints.copy()
        split = ints[:, _LEFT] >= 0
        code = ints[split, _CODE]
        low = code & ((1 << _FEATURE_SHIFT) - 1)
        ints[split, _CODE] = (cols[code >> _FEATURE_SHIFT] << _FEATURE_SHIFT) | low
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
    def split_features(self) -> I32:
        """The feature (row column) of each split node."""
        return np.asarray(self.ints[self.ints[:, _LEFT] >= 0, _CODE] >> _FEATURE_SHIFT)

    @property
    def n_trees(self) -> int:
        """Number of trees."""
        return int(self.roots.shape[0])

    def raw(self, x: F64) -> float:
        """Raw score (log-odds) of one row.

        Parameters
        ----------
        x
            One row of features (NaN = missing), laid out as the model reads them.

        Returns
        -------
        float
            Raw score (log-odds).
        """
        return float(_walk(x, self.ints, self.floats, self.roots, self._none, False))

    def probability(self, x: F64) -> float:
        """Fraud probability of one row (LightGBM's sigmoid of the raw score).

        Parameters
        ----------
        x
            One row of features (NaN = missing), laid out as the model reads them.

        Returns
        -------
        float
            Fraud probability, 0 to 1.
        """
        return self.to_probability(_walk(x, self.ints, self.floats, self.roots, self._none, False))

    def to_probability(self, raw: float) -> float:
        """LightGBM's binary transform of a raw score: ``1 / (1 + exp(-sigmoid * raw))``, the raw
        score first divided by the number of trees for a random forest (``average_output``).

        Parameters
        ----------
        raw
            A raw score of this model.

        Returns
        -------
        float
            The fraud probability, 0 to 1.
        """
        return 1.0 / (1.0 + math.exp(self._scale * raw))

    def raw_many(self, xs: F64) -> F64:
        """Raw score of each row of a 2-D array.

        Parameters
        ----------
        xs
            Rows of features (NaN = missing), one per row of the 2-D array.

        Returns
        -------
        numpy.ndarray
            The raw score of each row.
        """
        matrix = np.ascontiguousarray(xs, dtype=np.float64)
        out = np.empty(matrix.shape[0], dtype=np.float64)
        _raw_many(matrix, self.ints, self.floats, self.roots, out)
        return out

    def probability_many(self, xs: F64) -> F64:
        """Fraud probability of each row of a 2-D array.

        Parameters
        ----------
        xs
            Rows of features (NaN = missing), one per row of the 2-D array.

        Returns
        -------
        numpy.ndarray
            The fraud probability of each row.
        """
        return np.asarray(1.0 / (1.0 + np.exp(self._scale * self.raw_many(xs))))

    def contributions(self, x: F64, out: F64) -> float:
        """Raw score of ``x``; writes each feature's path contribution into ``out`` (zeroed
        first; indexed like the row's columns). ``out.sum() + bias`` equals the raw score up to
        floating rounding.

        Parameters
        ----------
        x
            One row of features (NaN = missing).
        out
            Where each feature's contribution is written, as long as the row.

        Returns
        -------
        float
            The raw score of ``x``.
        """
        out[:] = 0.0
        return float(_walk(x, self.ints, self.floats, self.roots, out, True))

    def mask_tables(self) -> Packed | None:
        """The packed ``_masks.MaskTables`` that ``explain`` and ``explain_masked`` find the
        leaves with (built on the first call), or None when the trees do not fit them and
        ``explain`` walks them."""
        masks = self._masks
        if masks is None and not self._walks:
            tables = MaskTables.of(self.ints, self.floats, self.roots)
            self._walks = tables is None
            masks = self._masks = None if tables is None else tables.packed()
        return masks

    def explain(self, x: F64, out: F64, k: int, top: I64) -> tuple[float, int]:
        """``contributions`` and the reasons behind them in one kernel call: the raw score of
        ``x``, each feature's path contribution into ``out`` (zeroed first), and the indices of
        the up to ``k`` largest positive contributions into ``top``, largest first. The leaves
        are found by masks (``_masks``, built on the first call) when no tree has more than 64
        leaves, else by walking the trees four at a time: the same doubles either way.

        Parameters
        ----------
        x
            One row of features (NaN = missing).
        out
            Where each feature's contribution is written, as long as the row.
        k
            How many of the largest positive contributions to find (at most ``len(top)``).
        top
            Where their indices in ``out`` are written.

        Returns
        -------
        tuple[float, int]
            The raw score of ``x`` (the same double as ``contributions``) and how many
            indices were written into ``top``.
        """
        masks = self.mask_tables()
        if masks is not None:
            raw, n = explain_masked(x, *masks, out, k, top)
        else:
            raw, n = _explain(x, self.ints, self.floats, self.roots, self.deepest, out, k, top)
        return float(raw), int(n)


def lightgbm_booster(estimator: Any) -> Any | None:
    """The binary booster inside a fitted ``LGBMClassifier``, the registry's
    ``BoosterClassifier`` or a classifier over a ``TextBooster`` (None for any other estimator):
    a ``TextBooster``, or a ``lightgbm.Booster``, looked for only when ``lightgbm`` is already
    imported (none can exist before), so this never imports LightGBM."""
    booster = getattr(estimator, "booster_", None)
    if isinstance(booster, TextBooster):
        return booster
    lgb = sys.modules.get("lightgbm")
    return booster if lgb is not None and isinstance(booster, lgb.Booster) else None


_MISSING_NAMES = {code: name for name, code in MISSING_TYPES.items()}
_CATEGORICAL_BIT, _DEFAULT_LEFT_BIT = 1, 2  # LightGBM's kCategoricalMask, kDefaultLeftMask
_TREE_ARRAYS = ("split_feature", "threshold", "decision_type", "left_child", "right_child")


def _sections(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The header's and each ``Tree=`` block's ``key=value`` lines (a bare key maps to ""), up
    to ``end of trees``."""
    head, sep, _ = text.partition("\nend of trees")
    if not sep:
        raise ModelTextError("no `end of trees` line: the text is truncated or not a model")
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    header = current
    for number, raw in enumerate(head.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        key, _, value = line.partition("=")
        if key == "Tree":
            if value != str(len(blocks)):
                raise ModelTextError(f"line {number}: {line!r}, expected Tree={len(blocks)}")
            current = {}
            blocks.append(current)
            continue
        current[key] = value
    if "tree" not in header:
        raise ModelTextError("the text does not start with `tree`: not a LightGBM model")
    return header, blocks


def _numbers(block: Mapping[str, str], key: str, kind: type, count: int, tree: int) -> list[Any]:
    """Array ``key`` of tree ``tree``, ``count`` values of ``kind``."""
    raw = block.get(key)
    if raw is None:
        if count == 0:
            return []
        raise ModelTextError(f"tree {tree} has no {key}")
    try:
        values = [kind(v) for v in raw.split()]
    except ValueError:
        raise ModelTextError(f"tree {tree}: {key} holds a value that is not a number") from None
    if len(values) != count:
        raise ModelTextError(f"tree {tree}: {key} has {len(values)} values, expected {count}")
    return values


def _tree_structure(block: Mapping[str, str], tree: int) -> dict[str, Any]:
    """One ``Tree=`` block as the nested nodes of ``Booster.dump_model()``'s ``tree_structure``
    (the keys ``from_dump`` reads)."""
    try:
        leaves = int(block["num_leaves"])
    except (KeyError, ValueError):
        raise ModelTextError(f"tree {tree} has no valid num_leaves") from None
    if block.get("is_linear", "0") != "0":
        raise UnsupportedModelError(f"tree {tree} is a linear tree: only constant leaves compile")
    leaf_value = _numbers(block, "leaf_value", float, leaves, tree)
    if leaves < 1:
        raise ModelTextError(f"tree {tree} has {leaves} leaves")
    if leaves == 1:
        return {"leaf_value": leaf_value[0]}
    splits = leaves - 1
    feature, threshold, decision, left, right = (
        _numbers(block, key, float if key == "threshold" else int, splits, tree)
        for key in _TREE_ARRAYS
    )
    internal = _numbers(block, "internal_value", float, splits, tree)

    def child(index: int) -> int:
        if (index < 0 and ~index >= leaves) or index >= splits:
            raise ModelTextError(f"tree {tree} has a child {index} outside its nodes")
        return index

    def node(i: int) -> dict[str, Any]:
        if i < 0:
            return {"leaf_value": leaf_value[~i]}
        code = decision[i]
        return {
            "split_feature": feature[i],
            "threshold": threshold[i],
            "decision_type": "==" if code & _CATEGORICAL_BIT else "<=",
            "default_left": bool(code & _DEFAULT_LEFT_BIT),
            "missing_type": _MISSING_NAMES.get((code >> 2) & 3, str((code >> 2) & 3)),
            "internal_value": internal[i],
            "left_child": node(child(left[i])),
            "right_child": node(child(right[i])),
        }

    try:
        return node(0)
    except RecursionError:
        raise ModelTextError(f"tree {tree} has a cycle in its children") from None


def parse_model_text(text: str) -> dict[str, Any]:
    """LightGBM's text model (the file ``Booster.save_model`` writes: a ``key=value`` header,
    one ``Tree=`` block per tree with its nodes as parallel arrays, ``end of trees``) as the
    part of ``Booster.dump_model()`` that ``CompiledTrees.from_dump`` reads, without LightGBM.
    The text's thresholds and leaf values are printed to 17 significant digits, so they are the
    booster's doubles; its internal (non-leaf) values are printed to 6, so path contributions
    from the text differ from the booster's in the seventh digit while their sum, and the raw
    score, do not. A damaged or truncated text is a ``ModelTextError`` naming what is wrong."""
    header, blocks = _sections(text)
    try:
        max_feature = int(header["max_feature_idx"])
        per_iteration = int(header.get("num_tree_per_iteration", "1"))
    except (KeyError, ValueError):
        raise ModelTextError("the header has no valid max_feature_idx") from None
    sizes = header.get("tree_sizes", "").split()
    if sizes and len(sizes) != len(blocks):
        raise ModelTextError(f"the header lists {len(sizes)} trees, the text has {len(blocks)}")
    return {
        "num_tree_per_iteration": per_iteration,
        "objective": header.get("objective", "binary"),
        "max_feature_idx": max_feature,
        "average_output": "average_output" in header,
        "feature_names": header.get("feature_names", "").split(),
        "tree_info": [
            {"tree_index": i, "tree_structure": _tree_structure(b, i)} for i, b in enumerate(blocks)
        ],
    }


class TextBooster:
    """A binary LightGBM model read from its text without LightGBM: what scoring uses of a
    ``lightgbm.Booster`` (``predict``, ``dump_model``, ``num_feature``, ``num_trees``,
    ``model_to_string``), the scores computed by the compiled trees (LightGBM's doubles)."""

    def __init__(self, model_str: str) -> None:
        self.model_str = model_str
        self._dump = parse_model_text(model_str)
        self.trees = CompiledTrees.from_dump(self._dump)

    def dump_model(self) -> dict[str, Any]:
        """The parsed model, shaped as ``Booster.dump_model()`` (the keys compiling reads)."""
        return self._dump

    def num_feature(self) -> int:
        """Number of features the model reads."""
        return self.trees.n_features

    def num_trees(self) -> int:
        """Number of trees."""
        return self.trees.n_trees

    def model_to_string(self) -> str:
        """The text model this was read from."""
        return self.model_str

    def predict(self, data: F64, *, raw_score: bool = False) -> F64:
        """Probability (or with ``raw_score`` the raw score) of each row, as ``Booster.predict``
        of a binary model."""
        xs = np.asarray(data, dtype=np.float64)
        return self.trees.raw_many(xs) if raw_score else self.trees.probability_many(xs)


__all__ = [
    "MISSING_TYPES",
    "CompiledTrees",
    "ModelTextError",
    "TextBooster",
    "UnsupportedModelError",
    "explain_masked",
    "lightgbm_booster",
    "parse_model_text",
]
