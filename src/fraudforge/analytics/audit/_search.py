"""The rule search: every value of a categorical atom, the best range of a numeric atom, the bits
and residues of the ids, and pairs (two values, or a value and a range), each counted over fraud
and genuine rows with ``numpy.bincount`` on the encoded codes. A rule's precision is the share
of fraud among the rows it selects (genuine rows weighted back when they were sampled), its
recall the share of all fraud rows it selects."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fraudforge.analytics.audit._frame import B, CatColumn, Encoded, NumColumn
from fraudforge.foundation.progress import ProgressFn, ignore

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

PAIR_STEP = "pairs of categorical columns"
RANGE_STEP = "categories x numeric ranges"
"""The steps the search reports progress in, counting pairs of columns."""
PER_SOURCE = 3
"""Rules kept per column or pair of columns (the values or ranges of highest precision)."""
PAIR_GAIN = 0.05
"""A pair is reported only when its precision beats each of its parts' own by this much."""
NEAR_BEST = 0.02
"""Among ranges within this much of the best precision, the one of highest recall is kept."""


@dataclass(frozen=True)
class Condition:
    """One side of a rule: a categorical value (``eq``), a range of bins of a numeric atom
    (``range``, bins ``lo..hi`` inclusive) or one bit of an id (``bit``)."""

    atom: str
    kind: str
    text: str
    code: int = 0
    lo: int = 0
    hi: int = 0

    def mask(self, enc: Encoded) -> B:
        """The rows this condition selects."""
        if self.kind == "eq":
            return np.asarray(enc.cat[self.atom].codes == self.code)
        if self.kind == "range":
            codes = enc.num[self.atom].codes
            return np.asarray((codes >= self.lo) & (codes <= self.hi))
        return np.asarray(enc.ids[self.atom].bit(self.lo) == self.code)


@dataclass(frozen=True)
class Candidate:
    """A rule found by the search: its conditions, the group it is reported under, and its
    fraud rows and (weighted) genuine rows."""

    conditions: tuple[Condition, ...]
    group: str
    fraud: int
    genuine: float

    @property
    def precision(self) -> float:
        """Share of fraud among the rows the rule selects."""
        return self.fraud / (self.fraud + self.genuine) if self.fraud else 0.0

    @property
    def source(self) -> tuple[str, ...]:
        """The atoms the rule reads."""
        return tuple(c.atom for c in self.conditions)

    def mask(self, enc: Encoded) -> B:
        """The rows the rule selects."""
        out = self.conditions[0].mask(enc)
        for c in self.conditions[1:]:
            out &= c.mask(enc)
        return out


def _fmt(x: float) -> str:
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,.2f}" if abs(x) >= 1 else f"{x:.4g}"


def range_text(col: NumColumn, lo: int, hi: int) -> str:
    """A bin range as a condition on the atom's values."""
    e, name = col.edges, col.atom.name
    low = f"{_fmt(e[lo - 1])} < " if lo > 0 else ""
    high = f" <= {_fmt(e[hi])}" if hi < e.shape[0] else ""
    if not low and not high:
        return f"{name} not null"
    if lo > 0 and hi < e.shape[0] and lo == hi and e[lo - 1] + 1 == e[hi] == int(e[hi]):
        return f"{name} = {_fmt(e[hi])}"  # one integer value
    return f"{low}{name}{high}"


def _eq(col: CatColumn, code: int) -> Condition:
    return Condition(col.atom.name, "eq", f"{col.atom.name} = {col.labels[code]}", code=code)


def _counts(key: npt.NDArray[np.integer], size: int, fraud: B) -> tuple[I64, I64]:
    """Rows per key, and fraud rows per key."""
    total = np.bincount(key, minlength=size)
    return total, np.bincount(key[fraud], minlength=size)


class Search:
    """Counts and candidate rules of one encoded dataset, for rules covering at least
    ``min_fraud`` fraud rows."""

    def __init__(self, enc: Encoded, min_fraud: int, *, progress: ProgressFn = ignore) -> None:
        self.enc = enc
        self.progress = progress
        self.min_fraud = max(int(min_fraud), 1)
        self.w = enc.genuine_weight
        self.single_cat: dict[tuple[str, int], float] = {}
        self.single_num: dict[str, float] = {}

    def _precision(self, f: npt.ArrayLike, total: npt.ArrayLike) -> F64:
        fr = np.asarray(f, dtype=np.float64)
        g = (np.asarray(total, dtype=np.float64) - fr) * self.w
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(fr > 0, fr / (fr + g), 0.0)

    def _top(self, fraud: I64, precision: F64) -> I64:
        """Cells of highest precision (then most fraud) among those with enough fraud rows."""
        ok = np.flatnonzero(fraud >= self.min_fraud)
        if ok.shape[0] == 0:
            return ok
        order = np.lexsort((-fraud[ok], -precision[ok]))
        return ok[order[:PER_SOURCE]]

    def _ranges(self, f: I64, t: I64) -> tuple[I64, I64, I64, I64]:
        """For each row of bin counts ``f``/``t`` (values x bins), the best range: its first and
        last bin, fraud rows and rows. Best: precision within ``NEAR_BEST`` of the highest
        among ranges with enough fraud rows, and the most fraud rows among those."""
        n_bins = f.shape[1]
        cf = np.concatenate([np.zeros((f.shape[0], 1), np.int64), np.cumsum(f, axis=1)], axis=1)
        ct = np.concatenate([np.zeros((t.shape[0], 1), np.int64), np.cumsum(t, axis=1)], axis=1)
        lo, hi = np.triu_indices(n_bins)
        fr = cf[:, hi + 1] - cf[:, lo]
        tot = ct[:, hi + 1] - ct[:, lo]
        p = np.where(fr >= self.min_fraud, self._precision(fr, tot), -1.0)
        best = p.max(axis=1, keepdims=True)
        near = (p >= best - NEAR_BEST) & (p >= 0)
        pick = np.argmax(np.where(near, fr, -1), axis=1)
        rows = np.arange(f.shape[0])
        return lo[pick], hi[pick], fr[rows, pick], tot[rows, pick]

    def _candidate(self, conds: tuple[Condition, ...], group: str, f: int, t: int) -> Candidate:
        return Candidate(conds, group, int(f), float((t - f) * self.w))

    def singles(self) -> list[Candidate]:
        """Every categorical value and id bit, and the best range of each numeric atom."""
        enc, out = self.enc, []
        for col in enc.cat.values():
            total, f = _counts(col.codes, len(col.labels), enc.fraud)
            p = self._precision(f, total)
            for code in range(len(col.labels)):
                self.single_cat[(col.atom.name, code)] = float(p[code])
                if f[code] >= self.min_fraud:
                    out.append(
                        self._candidate((_eq(col, code),), col.atom.group, f[code], total[code])
                    )
        for ncol in enc.num.values():
            total, f = _counts(ncol.codes, ncol.bins + 1, enc.fraud)
            lo, hi, fr, tot = self._ranges(f[None, : ncol.bins], total[None, : ncol.bins])
            if fr[0] >= self.min_fraud:
                cond = Condition(
                    ncol.atom.name,
                    "range",
                    range_text(ncol, lo[0], hi[0]),
                    lo=int(lo[0]),
                    hi=int(hi[0]),
                )
                cand = self._candidate((cond,), ncol.atom.group, fr[0], tot[0])
                self.single_num[ncol.atom.name] = cand.precision
                out.append(cand)
        for idc in enc.ids.values():
            ones_t, ones_f = idc.bit_counts(), idc.bit_counts(enc.fraud)
            n_t, n_f = int((~idc.null).sum()), int((enc.fraud & ~idc.null).sum())
            for value, ft, tt in ((1, ones_f, ones_t), (0, n_f - ones_f, n_t - ones_t)):
                p = self._precision(ft, tt)
                for k in self._top(ft, p):
                    text = f"{idc.name} bit {k} = {value}"
                    cond = Condition(idc.name, "bit", text, code=value, lo=int(k))
                    out.append(self._candidate((cond,), "id", ft[k], tt[k]))
        return out  # fmt: skip

    def _gain(self, cand: Candidate, parts: list[float]) -> bool:
        return cand.precision >= max(parts) + PAIR_GAIN

    def cat_pairs(self) -> list[Candidate]:
        """Every combination of two values of two pairable categorical atoms."""
        enc, out = self.enc, []
        cols = [c for c in enc.cat.values() if c.atom.pairs]
        pairs = list(itertools.combinations(cols, 2))
        for i, (a, b) in enumerate(pairs):
            self.progress(PAIR_STEP, i, len(pairs))
            nb = len(b.labels)
            key = a.codes.astype(np.int64) * nb + b.codes
            total, f = _counts(key, len(a.labels) * nb, enc.fraud)
            p = self._precision(f, total)
            for cell in self._top(f, p):
                ca, cb = divmod(int(cell), nb)
                cand = self._candidate((_eq(a, ca), _eq(b, cb)), "pair", f[cell], total[cell])
                parts = [self.single_cat[(a.atom.name, ca)], self.single_cat[(b.atom.name, cb)]]
                if self._gain(cand, parts):
                    out.append(cand)
        self.progress(PAIR_STEP, len(pairs), len(pairs))
        return out

    def cat_ranges(self) -> list[Candidate]:
        """For each value of a pairable categorical atom, the best range of each pairable
        numeric atom."""
        enc, out = self.enc, []
        cats = [c for c in enc.cat.values() if c.atom.pairs]
        nums = [c for c in enc.num.values() if c.atom.pairs]
        pairs = list(itertools.product(cats, nums))
        for i, (a, n) in enumerate(pairs):
            self.progress(RANGE_STEP, i, len(pairs))
            width = n.bins + 1
            key = a.codes.astype(np.int64) * width + n.codes
            total, f = _counts(key, len(a.labels) * width, enc.fraud)
            t2 = total.reshape(len(a.labels), width)[:, : n.bins]
            f2 = f.reshape(len(a.labels), width)[:, : n.bins]
            lo, hi, fr, tot = self._ranges(f2, t2)
            p = self._precision(fr, tot)
            for code in self._top(fr, p):
                rng = Condition(
                    n.atom.name, "range", range_text(n, lo[code], hi[code]),
                    lo=int(lo[code]), hi=int(hi[code]),
                )  # fmt: skip
                cand = self._candidate((_eq(a, int(code)), rng), "pair", fr[code], tot[code])
                parts = [
                    self.single_cat[(a.atom.name, int(code))],
                    self.single_num.get(n.atom.name, 0.0),
                ]
                if self._gain(cand, parts):
                    out.append(cand)
        self.progress(RANGE_STEP, len(pairs), len(pairs))
        return out


def lower_precision(c: Candidate, z: float = 1.96) -> float:
    """Wilson's lower 95 % bound of the rule's precision: a rule is the worse the more surely
    precise it is, so 98 % on 160 rows ranks above 100 % on 20."""
    return precision_lower_bound(c.fraud, c.fraud + c.genuine, z)


def precision_lower_bound(fraud: float, rows: float, z: float = 1.96) -> float:
    """Wilson's lower bound (95 % with the default ``z``) of a precision of ``fraud`` fraud rows
    among the ``rows`` a rule covers."""
    n = rows
    if n <= 0:
        return 0.0
    p = fraud / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def ranked(cands: list[Candidate]) -> list[Candidate]:
    """Worst first: highest lower bound of precision, then most fraud rows; at most
    ``PER_SOURCE`` per source."""
    order = sorted(
        cands,
        key=lambda c: (-round(lower_precision(c), 9), -c.fraud, len(c.conditions), c.source),
    )
    seen: dict[tuple[str, ...], int] = {}
    out = []
    for c in order:
        n = seen.get(c.source, 0)
        if n < PER_SOURCE:
            seen[c.source] = n + 1
            out.append(c)
    return out


__all__ = ["Candidate", "Condition", "Search", "range_text", "ranked"]
