"""A depth-2 decision tree per fraud pattern, on the raw row: how far two questions about
observable columns tell a pattern's rows from genuine ones. Categorical atoms enter one-hot
(at most ``MAX_VALUES`` values; ``city`` is left to ``state``), numeric atoms as their quantile
bins; every pattern is fitted against the same deterministic sample of genuine rows."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score
from sklearn.tree import DecisionTreeClassifier

from fraudforge.analytics.audit._frame import B, Encoded
from fraudforge.analytics.audit._search import range_text
from fraudforge.foundation.progress import ProgressFn, ignore

F32 = npt.NDArray[np.float32]
GENUINE_SAMPLE = 50_000
"""Genuine rows every tree is fitted against (all of them when fewer)."""
MIN_ROWS = 20
"""Patterns with fewer rows get no tree."""
MAX_VALUES = 40
"""Categorical atoms with more values than this are left out of the trees."""


@dataclass(frozen=True)
class TreeInput:
    """Column ``j`` of the tree matrix: a categorical value (``code``) or a numeric atom's bins."""

    atom: str
    code: int | None


class PatternTree(msgspec.Struct, kw_only=True, frozen=True):
    """A depth-2 tree of one pattern against genuine rows, on the raw row."""

    pattern: str
    rows: int
    auc: float
    rule: str
    """The path to the tree's leaf of highest precision."""
    recall: float
    """Share of the pattern's rows in that leaf."""
    genuine_share: float
    """Share of genuine rows in that leaf."""
    precision: float
    """Pattern rows over pattern and genuine rows in that leaf, at the dataset's proportions."""
    tree: list[str]


def _matrix(enc: Encoded, rows: npt.NDArray[np.int64]) -> tuple[F32, list[TreeInput]]:
    cols: list[npt.NDArray[np.float32]] = []
    inputs: list[TreeInput] = []
    for cat in enc.cat.values():
        if not cat.atom.pairs or len(cat.labels) > MAX_VALUES:
            continue
        codes = cat.codes[rows]
        for code in range(len(cat.labels)):
            cols.append((codes == code).astype(np.float32))
            inputs.append(TreeInput(cat.atom.name, code))
    for num in enc.num.values():
        if not num.atom.pairs:
            continue
        bins = num.codes[rows].astype(np.float32)
        bins[bins > num.bins - 1] = -1.0  # nulls to the low side
        cols.append(bins)
        inputs.append(TreeInput(num.atom.name, None))
    return np.column_stack(cols), inputs


def _split_text(enc: Encoded, inp: TreeInput, threshold: float, left: bool) -> str:
    if inp.code is not None:
        label = enc.cat[inp.atom].labels[inp.code]
        return f"{inp.atom} {'!=' if left else '='} {label}"
    num = enc.num[inp.atom]
    k = int(np.floor(threshold))
    has_null = bool((num.codes == num.bins).any())
    if left:
        text = range_text(num, 0, k)
        return f"({text} or null)" if has_null else text
    return range_text(num, k + 1, num.bins - 1)


def _describe(
    enc: Encoded, tree: DecisionTreeClassifier, inputs: list[TreeInput], y: B, x: F32
) -> tuple[list[str], dict[int, str]]:
    """The tree as indented lines, and each leaf's path as one conjunction."""
    t = tree.tree_
    lines: list[str] = []
    paths: dict[int, str] = {}
    leaf_of = tree.apply(x)

    def walk(node: int, depth: int, path: list[str]) -> None:
        left, right = int(t.children_left[node]), int(t.children_right[node])
        if left == right:  # a leaf
            inside = leaf_of == node
            share = float(y[inside].sum() / max(y.sum(), 1))
            gshare = float((~y[inside]).sum() / max((~y).sum(), 1))
            lines.append(
                "  " * depth + f"-> {share:.1%} of the pattern's rows, {gshare:.2%} of genuine"
            )
            paths[node] = " AND ".join(path) if path else "every row"
            return
        inp, thr = inputs[int(t.feature[node])], float(t.threshold[node])
        for child, is_left in ((left, True), (right, False)):
            text = _split_text(enc, inp, thr, is_left)
            lines.append("  " * depth + f"if {text}:")
            walk(child, depth + 1, [*path, text])

    walk(0, 0, [])
    return lines, paths


TREE_STEP = "a depth-2 tree per pattern"


def pattern_trees(enc: Encoded, *, progress: ProgressFn = ignore) -> list[PatternTree]:
    """One depth-2 tree per pattern with at least ``MIN_ROWS`` rows (pattern vs genuine)."""
    genuine = np.flatnonzero(~enc.fraud)
    if genuine.shape[0] > GENUINE_SAMPLE:
        genuine = np.sort(np.random.default_rng(0).choice(genuine, GENUINE_SAMPLE, replace=False))
    fraud_rows = np.flatnonzero(enc.fraud)
    rows = np.concatenate([genuine, fraud_rows])
    if genuine.shape[0] == 0:
        return []
    x_all, inputs = _matrix(enc, rows)
    pattern_all = enc.pattern[rows]
    n_genuine = genuine.shape[0]
    genuine_total = enc.genuine_rows
    out = []
    for code, name in enumerate(enc.patterns):
        progress(TREE_STEP, code, len(enc.patterns))
        own = n_genuine + np.flatnonzero(pattern_all[n_genuine:] == code)
        pick = np.concatenate([np.arange(n_genuine), own])
        n_pattern = own.shape[0]
        if n_pattern < MIN_ROWS:
            continue
        x, y = x_all[pick], pattern_all[pick] == code
        tree = DecisionTreeClassifier(max_depth=2, class_weight="balanced", random_state=0)
        tree.fit(x, y)
        score = tree.predict_proba(x)[:, 1]
        auc = float(roc_auc_score(y, score))
        lines, paths = _describe(enc, tree, inputs, y, x)
        leaf_of = tree.apply(x)
        best = (-1.0, -1, 0, 0.0)  # precision, pattern rows, leaf, genuine share
        for leaf in paths:
            inside = leaf_of == leaf
            hits = int(y[inside].sum())
            gshare = float((~y[inside]).sum() / genuine.shape[0])
            precision = hits / (hits + gshare * genuine_total) if hits else 0.0
            best = max(best, (precision, hits, leaf, gshare))
        out.append(
            PatternTree(
                pattern=name,
                rows=n_pattern,
                auc=round(auc, 6),
                rule=paths[best[2]],
                recall=round(best[1] / n_pattern, 6),
                genuine_share=round(best[3], 6),
                precision=round(best[0], 6),
                tree=lines,
            )
        )
    progress(TREE_STEP, len(enc.patterns), len(enc.patterns))
    return sorted(out, key=lambda r: (-r.auc, r.pattern))
