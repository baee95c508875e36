"""``fraudforge audit DATA``: search a dataset for tells, simple rules on observable columns
that give fraud away, and report the worst first with their precision, recall, support and the
fraud patterns they hit; and a depth-2 tree per pattern on the raw row with its AUC.

A realistic dataset has no rule of high precision that covers a noticeable share of fraud:
whatever fraud does, genuine customers also do at some rate (docs/audit.md)."""

from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path

import msgspec
import numpy as np

from fraudforge.analytics.audit._frame import Encoded, encode
from fraudforge.analytics.audit._holdout import FOLDS, folds, measured_on, subset
from fraudforge.analytics.audit._search import (
    PAIR_STEP,
    RANGE_STEP,
    Candidate,
    Search,
    lower_precision,
    ranked,
)
from fraudforge.analytics.audit._trees import TREE_STEP, PatternTree, pattern_trees
from fraudforge.foundation.errors import ConfigError
from fraudforge.foundation.progress import ProgressFn, ignore, phase

MIN_RECALL = 0.003
"""Rules covering less than this share of fraud rows are not reported (0.3 %)."""
TOP = 20
SPREAD_INCIDENTS = 3
"""Incidents, and accounts, a rule's fraud rows must span to count as a tell of a mechanism
rather than a fingerprint of one incident or of one account (a mule account's rounds)."""
STEP_UNITS: dict[str, str] = {PAIR_STEP: "pairs", RANGE_STEP: "pairs", TREE_STEP: "patterns"}
"""What the audit's counted progress steps count; the others are phases."""


class Rule(msgspec.Struct, kw_only=True, frozen=True):
    """A rule found in the data: ``text`` selects ``support`` rows (an estimate when genuine
    rows were sampled), ``fraud_rows`` of them fraud."""

    rank: int
    group: str
    """column, time, amount, null, customer, merchant, entity, repeat, id or pair."""
    text: str
    columns: list[str]
    precision: float
    recall: float
    """Share of all fraud rows the rule selects."""
    support: int
    fraud_rows: int
    patterns: dict[str, int]
    """Fraud rows the rule selects, by ``fraud_type``, most first."""
    incidents: int = 0
    """Distinct incidents (``fraud_scenario_id``) among those fraud rows: a rule whose rows
    come from one or two incidents fingerprints those incidents (one mule account, one
    attacked merchant) rather than telling fraud from genuine traffic in general."""
    accounts: int = 0
    """Distinct accounts (``customer_id``) among those fraud rows: a rule whose fraud rows are
    one account's (a burst on one victim, one mule account's rounds) fingerprints that account,
    whatever the number of incidents."""


class Audit(msgspec.Struct, kw_only=True, frozen=True):
    """What ``fraudforge audit`` found in a dataset."""

    dataset: str
    rows: int
    fraud_rows: int
    genuine_rows: int
    genuine_sampled: int
    """Genuine rows read (fewer than ``genuine_rows`` when they were sampled)."""
    min_recall: float
    rules_found: int
    """Rules covering at least ``min_recall`` of fraud rows, before the ``top`` cut."""
    rules: list[Rule]
    """The worst ``top`` rules: highest lower 95 % bound of precision first."""
    most_precise: Rule | None
    """The rule of highest precision among all found (the ``--fail-on-precision`` check)."""
    most_precise_spread: Rule | None = None
    """The rule of highest precision among those whose fraud rows span at least ``spread``
    incidents and ``spread`` accounts (a tell of a mechanism rather than a fingerprint of one
    incident or account)."""
    spread: int = SPREAD_INCIDENTS
    """The incidents and accounts ``most_precise_spread`` spans at least."""
    most_precise_held_out: Rule | None = None
    """The worst rule on rows it was not found on: rules found on one half of the rows (the
    rows of one incident and of one customer kept together) measured on the other half, both
    ways, and the most surely precise there (highest lower 95 % bound of precision); its
    precision, recall, support, incidents and patterns are the other half's (recall of that
    half's fraud rows). None when ``held_out`` was off or no rule found on one half covers
    ``min_recall`` of the other's fraud."""
    trees: list[PatternTree]
    seconds: float

    @property
    def max_precision(self) -> float:
        """The highest precision of any rule covering at least ``min_recall`` of fraud rows."""
        return self.most_precise.precision if self.most_precise else 0.0


def _rule(rank: int, cand: Candidate, enc: Encoded, total_fraud: int) -> Rule:
    mask = cand.mask(enc) & enc.fraud
    codes = enc.pattern[mask]
    incidents = np.unique(enc.incident[mask]).size
    accounts = np.unique(enc.customer[mask]).size
    counts = np.bincount(codes[codes >= 0], minlength=len(enc.patterns))
    patterns = {
        enc.patterns[i]: int(counts[i]) for i in np.argsort(-counts, kind="stable") if counts[i]
    }
    return Rule(
        rank=rank,
        group=cand.group,
        text=" AND ".join(c.text for c in cand.conditions),
        columns=list(cand.source),
        precision=round(cand.precision, 6),
        recall=round(cand.fraud / total_fraud, 6),
        support=round(cand.fraud + cand.genuine),
        fraud_rows=cand.fraud,
        patterns=patterns,
        incidents=int(incidents),
        accounts=int(accounts),
    )


def _spread(order: list[Candidate], enc: Encoded, spread: int) -> Candidate | None:
    """The most precise candidate whose fraud rows span ``spread`` incidents and ``spread``
    accounts or more."""
    for cand in sorted(order, key=lambda c: (-c.precision, -c.fraud)):
        mask = cand.mask(enc) & enc.fraud
        if (
            np.unique(enc.incident[mask]).size >= spread
            and np.unique(enc.customer[mask]).size >= spread
        ):
            return cand
    return None


def _distinct(order: list[Candidate], enc: Encoded, top: int, total_fraud: int) -> list[Rule]:
    """The first ``top`` rules that select different rows (of rules selecting the same rows,
    the first, which reads the fewest columns, stands for them)."""
    seen: set[bytes] = set()
    out: list[Rule] = []
    for cand in order:
        if len(out) == top:
            break
        digest = hashlib.blake2b(np.packbits(cand.mask(enc)).tobytes(), digest_size=16).digest()
        if digest not in seen:
            seen.add(digest)
            out.append(_rule(len(out) + 1, cand, enc, total_fraud))
    return out


def _min_fraud(enc: Encoded, min_recall: float) -> int:
    return math.ceil(min_recall * int(enc.fraud.sum()) - 1e-9)


def _candidates(enc: Encoded, min_recall: float, report: ProgressFn) -> list[Candidate]:
    """Every rule covering at least ``min_recall`` of ``enc``'s fraud rows, worst first."""
    search = Search(enc, _min_fraud(enc, min_recall), progress=report)
    phase(report, "single columns and id bits")
    cands = search.singles()
    cands += search.cat_pairs()
    cands += search.cat_ranges()
    return ranked(cands)


def _held_out(enc: Encoded, min_recall: float, report: ProgressFn) -> Rule | None:
    """The worst rule on the half of the rows it was not found on (``_holdout``): the most
    surely precise there (highest lower 95 % bound of precision, as the rules are ranked), so
    a handful of rows that happen to be all fraud does not outrank a tell."""
    half = folds(enc)
    best: tuple[Candidate, Encoded] | None = None
    for k in range(FOLDS):
        found_on, other = subset(enc, half == k), subset(enc, half != k)
        if not found_on.fraud.any() or not other.fraud.any():
            continue
        phase(report, f"held-out check {k + 1} of {FOLDS}: searching one half")
        order = _candidates(found_on, min_recall, ignore)
        phase(report, f"held-out check {k + 1} of {FOLDS}: measuring on the other half")
        for cand in measured_on(order, other, max(_min_fraud(other, min_recall), 1)):
            key = (lower_precision(cand), cand.fraud)
            if best is None or key > (lower_precision(best[0]), best[0].fraud):
                best = (cand, other)
    if best is None:
        return None
    cand, other = best
    return _rule(0, cand, other, int(other.fraud.sum()))


def audit(
    data: str | Path,
    *,
    min_recall: float = MIN_RECALL,
    top: int = TOP,
    max_genuine: int = 3_000_000,
    trees: bool = True,
    held_out: bool = True,
    spread: int = SPREAD_INCIDENTS,
    progress: ProgressFn | None = None,
) -> Audit:
    """Audit dataset directory ``data``: the ``top`` worst rules covering at least
    ``min_recall`` of fraud rows, the most precise of them and the most precise over at least
    ``spread`` incidents and accounts, (``held_out``) the most precise rule on rows it was not
    found on, and (``trees``) a depth-2 tree per pattern."""
    if not 0.0 < min_recall <= 1.0:
        raise ConfigError(f"`min_recall` = {min_recall}: allowed is a share of fraud rows, (0, 1]")
    if top < 1:
        raise ConfigError(f"`top` = {top}: allowed is 1 or more rules")
    if spread < 1:
        raise ConfigError(f"`spread` = {spread}: allowed is 1 or more incidents and accounts")
    report = progress or ignore
    started = time.perf_counter()
    enc = encode(data, max_genuine=max_genuine, progress=report)
    total_fraud = int(enc.fraud.sum())
    found: list[Rule] = []
    most_precise: Rule | None = None
    most_spread: Rule | None = None
    most_held_out: Rule | None = None
    n_found = 0
    if total_fraud:
        order = _candidates(enc, min_recall, report)
        n_found = len(order)
        found = _distinct(order, enc, top, total_fraud)
        if order:
            best = max(order, key=lambda c: (c.precision, c.fraud))
            most_precise = _rule(0, best, enc, total_fraud)
            wide = _spread(order, enc, spread)
            most_spread = _rule(0, wide, enc, total_fraud) if wide else None
        if held_out:
            most_held_out = _held_out(enc, min_recall, report)
    fitted = []
    if trees and total_fraud:
        fitted = pattern_trees(enc, progress=report)
    return Audit(
        dataset=enc.dataset,
        rows=enc.rows,
        fraud_rows=total_fraud,
        genuine_rows=enc.genuine_rows,
        genuine_sampled=int((~enc.fraud).sum()),
        min_recall=min_recall,
        rules_found=n_found,
        rules=found,
        most_precise=most_precise,
        most_precise_spread=most_spread,
        spread=spread,
        most_precise_held_out=most_held_out,
        trees=fitted,
        seconds=round(time.perf_counter() - started, 3),
    )


def to_json(report: Audit) -> str:
    """The audit as JSON."""
    return json.dumps(msgspec.to_builtins(report), indent=2) + "\n"


def pattern_text(patterns: dict[str, int], fraud_rows: int, shown: int = 3) -> str:
    """The patterns a rule hits, as shares of its fraud rows, most first."""
    if not fraud_rows:
        return ""
    parts = [f"{name} {n / fraud_rows:.0%}" for name, n in list(patterns.items())[:shown]]
    more = len(patterns) - shown
    return ", ".join(parts) + (f", +{more} more" if more > 0 else "")


def to_markdown(report: Audit) -> str:
    """The audit as two Markdown tables: the rules, then the trees."""
    lines = [
        f"{report.rows:,} rows, {report.fraud_rows:,} fraud; {report.rules_found:,} rules "
        f"cover at least {report.min_recall:.1%} of fraud rows.",
        "",
        "| # | rule | precision | recall | support | incidents | accounts | patterns |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    lines += [
        f"| {r.rank} | `{r.text}` | {r.precision:.3f} | {r.recall:.2%} | {r.support:,} | "
        f"{r.incidents:,} | {r.accounts:,} | {pattern_text(r.patterns, r.fraud_rows)} |"
        for r in report.rules
    ]
    if report.trees:
        lines += [
            "",
            "| pattern | rows | tree AUC | best leaf | its recall | its precision |",
            "|---|---:|---:|---|---:|---:|",
        ]
        lines += [
            f"| {t.pattern} | {t.rows:,} | {t.auc:.3f} | `{t.rule}` | {t.recall:.1%} | "
            f"{t.precision:.3f} |"
            for t in report.trees
        ]
    return "\n".join(lines) + "\n"


__all__ = [
    "MIN_RECALL",
    "SPREAD_INCIDENTS",
    "STEP_UNITS",
    "TOP",
    "Audit",
    "PatternTree",
    "Rule",
    "audit",
    "to_json",
    "to_markdown",
]
