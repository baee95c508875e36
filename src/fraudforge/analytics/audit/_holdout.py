"""Rules checked on rows they were not found on. The audited rows are split in two halves so
that the rows of one incident and of one customer stay together (customers and incidents
linked by fraud rows form groups; a repeat victim's or a repeat structurer's incidents and all
their genuine rows fall in one half); rules found on one half are measured on the other. A rule
that only fingerprints the people and incidents it was found on (one victim's city and age, one
mule's payers, one structurer's amounts in one city) selects no fraud on the other half, while
a tell of the generator (a value or range only fraud takes) keeps its precision there. The
highest held-out precision is the audit's measure of tells that generalise."""

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


HUB_INCIDENTS = 3
"""A customer in more incidents than this (a mule account reused across victims) does not link
them: linking through such hubs joins most fraud in one group and leaves no second half."""


def groups(customer: I64, incident: I64, fraud: B) -> I64:
    """Each row's group: the connected component of its node in the graph whose nodes are
    customers and incidents and whose edges are fraud rows (a customer in more than
    ``HUB_INCIDENTS`` incidents links none: their fraud rows go with their incident, and each
    of their genuine rows is a group of its own, so both halves hold some of them: with all in
    one half, the other would hold only the hub's fraud rows and any rule naming the customer
    would look precise there). Found by union-find with label propagation and pointer jumping;
    a group is numbered by its smallest node (customers by dense code, then incidents, then a
    hub's genuine rows by position)."""
    cust, c = np.unique(customer, return_inverse=True)
    n_inc = int(incident.max()) + 1 if fraud.any() else 0
    pairs = np.unique(np.stack([c[fraud], incident[fraud]]), axis=1)
    hub = np.bincount(pairs[0], minlength=cust.size) > HUB_INCIDENTS
    label = np.arange(cust.size + n_inc, dtype=np.int64)
    link = ~hub[pairs[0]]
    u, v = pairs[0][link], cust.size + pairs[1][link]
    while True:
        low = np.minimum(label[u], label[v])
        before = label.copy()
        np.minimum.at(label, u, low)
        np.minimum.at(label, v, low)
        label = label[label]
        if np.array_equal(label, before):
            break
    own = label[c]
    by_incident = label[cust.size + np.maximum(incident, 0)]
    by_row = label.size + np.arange(customer.shape[0], dtype=np.int64)
    at_hub = np.where(fraud, by_incident, by_row)
    return np.asarray(np.where(hub[c], at_hub, own), dtype=np.int64)


def folds(enc: Encoded) -> I64:
    """Each row's half, by a hash of its group (``groups``)."""
    return _half(groups(enc.customer, enc.incident, enc.fraud).astype(np.uint64) + np.uint64(1))


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


__all__ = ["FOLDS", "HUB_INCIDENTS", "folds", "groups", "measured_on", "subset"]
