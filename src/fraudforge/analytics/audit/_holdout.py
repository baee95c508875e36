"""Rules checked on rows they were not found on. The audited rows are split in two halves, fraud
rows by incident and genuine rows by customer; rules found on one half are measured on the
other. A rule that only fingerprints the incidents it was found on (one victim's city and age,
one mule's payers, one structuring spree's amounts in one city) selects no fraud on the other
half, while a tell of the generator (a value or range only fraud takes) keeps its precision
there. The highest held-out precision is the audit's measure of tells that generalise."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt

from fraudforge.analytics.audit._frame import B, CatColumn, Encoded, IdColumn, NumColumn
from fraudforge.analytics.audit._search import Candidate

I64 = npt.NDArray[np.int64]

FOLDS = 2
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _half(keys: npt.NDArray[np.uint64]) -> I64:
    """0 or 1 for each key, from the high bits of a multiplicative hash (Fibonacci hashing)."""
    with np.errstate(over="ignore"):
        return np.asarray((keys * _GOLDEN) >> np.uint64(63), dtype=np.int64)


def folds(enc: Encoded) -> I64:
    """Each row's half: a fraud row by its incident, a genuine row by its customer, so one
    incident's rows, and one customer's genuine rows, stay together."""
    fraud_key = enc.incident.astype(np.uint64) + np.uint64(1 << 40)
    return np.where(enc.fraud, _half(fraud_key), _half(enc.customer.astype(np.uint64)))


def subset(enc: Encoded, rows: B) -> Encoded:
    """The encoded rows ``rows`` selects, their codes on the whole dataset's bins and labels
    (a rule's conditions mean the same on either half)."""
    fraud = enc.fraud[rows]
    return replace(
        enc,
        rows=int(rows.sum()),
        fraud=fraud,
        pattern=enc.pattern[rows],
        incident=enc.incident[rows],
        customer=enc.customer[rows],
        genuine_rows=round(float((~fraud).sum()) * enc.genuine_weight),
        cat={k: CatColumn(c.atom, c.codes[rows], c.labels) for k, c in enc.cat.items()},
        num={k: NumColumn(c.atom, c.codes[rows], c.edges) for k, c in enc.num.items()},
        ids={k: IdColumn(c.name, c.values[rows], c.null[rows]) for k, c in enc.ids.items()},
    )


def measured_on(cands: list[Candidate], other: Encoded, min_fraud: int) -> list[Candidate]:
    """``cands`` (found on another half) counted on ``other``: those selecting at least
    ``min_fraud`` of its fraud rows, with its fraud rows and weighted genuine rows."""
    out: list[Candidate] = []
    for cand in cands:
        mask = cand.mask(other)
        fraud = int((mask & other.fraud).sum())
        if fraud >= min_fraud:
            genuine = float((mask & ~other.fraud).sum()) * other.genuine_weight
            out.append(Candidate(cand.conditions, cand.group, fraud, genuine))
    return out


__all__ = ["FOLDS", "folds", "measured_on", "subset"]
