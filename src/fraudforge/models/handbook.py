"""The Fraud Detection Handbook's baseline protocol (Le Borgne et al., 2022, section 3.4 and
chapter 4) on the ``handbook`` preset: one week of training from 2018-07-25, one week of delay
(labels not yet known), one week of test from which the cards known to be compromised are
removed, and ROC AUC, average precision and Card Precision@100 for logistic regression, decision
trees of depth 2 and unlimited, a random forest and LightGBM (the book's XGBoost).

The book's cards are its customers: in the handbook preset every customer pays with exactly one
debit card (``card_id`` is a function of the customer), so Card Precision ranks ``card_id``.

Run it with ``python -m fraudforge.models.handbook`` (see ``--help``)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from fraudforge.foundation.errors import DataError
from fraudforge.models.data import US_PER_DAY, ModelData
from fraudforge.models.metrics import evaluate
from fraudforge.models.training import train_model

I64 = npt.NDArray[np.int64]

TRAIN_START = dt.date(2018, 7, 25)
"""First training day of the book's baseline (section 3.4)."""
HANDBOOK_MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "logistic regression": ("logistic", {}),
    "decision tree, depth 2": ("decision_tree", {"max_depth": 2}),
    "decision tree, unlimited depth": ("decision_tree", {"max_depth": None}),
    "random forest": ("random_forest", {"n_estimators": 100, "max_features": "sqrt"}),
    "LightGBM": ("lightgbm", {}),
}
"""The book's baseline models (its XGBoost replaced by LightGBM), by display name: zoo kind and
parameters. As in the book, no class weighting."""
K = 100


def _day(date: dt.date) -> int:
    return (date - dt.date(1970, 1, 1)).days


def handbook_split(
    data: ModelData,
    *,
    train_start: dt.date = TRAIN_START,
    train_days: int = 7,
    delay_days: int = 7,
    test_days: int = 7,
) -> tuple[I64, I64]:
    """Training and test row indices of the book's ``get_train_test_set``: training is
    ``train_days`` from ``train_start``; test is the ``test_days`` after a ``delay_days`` gap,
    without the cards known to be compromised. Known are the training period's fraud cards and,
    for test day ``i``, also the fraud cards of delay days up to ``train_start + train_days + i
    - 1`` (what the investigators have confirmed by then)."""
    day = data.day
    first = _day(train_start)
    train = np.flatnonzero((day >= first) & (day < first + train_days)).astype(np.int64)
    known = np.unique(data.card_id[train][data.y[train]])
    keep: list[I64] = []
    for i in range(test_days):
        seen = first + train_days + i - 1
        newly = data.card_id[(day == seen) & data.y]
        known = np.union1d(known, newly)
        rows = np.flatnonzero(day == first + train_days + delay_days + i)
        keep.append(rows[~np.isin(data.card_id[rows], known)].astype(np.int64))
    return train, np.concatenate(keep) if keep else np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class HandbookResult:
    """One model's test metrics under the protocol."""

    model: str
    kind: str
    roc_auc: float | None
    average_precision: float | None
    card_precision_at_100: float
    fit_seconds: float


def run_handbook(
    data: ModelData,
    *,
    train_start: dt.date = TRAIN_START,
    models: Mapping[str, tuple[str, dict[str, Any]]] = HANDBOOK_MODELS,
    seed: int = 0,
) -> tuple[list[HandbookResult], dict[str, int]]:
    """Fit each model on the protocol's training week and score its test week; also returns
    the row counts (training, test, test fraud, cards removed from the test)."""
    train_idx, test_idx = handbook_split(data, train_start=train_start)
    train, test = data.subset(train_idx), data.subset(test_idx)
    if len(train) == 0 or len(test) == 0:
        raise DataError(
            f"the handbook protocol from {train_start} has {len(train)} training and "
            f"{len(test)} test rows: the data must cover {train_start} + 21 days"
        )
    first = _day(train_start)
    day = data.day
    test_days = (day >= first + 14) & (day < first + 21)
    counts = {
        "train_rows": len(train),
        "train_fraud": int(train.y.sum()),
        "test_rows": len(test),
        "test_fraud": int(test.y.sum()),
        "test_rows_removed": int(test_days.sum()) - len(test),
        "test_cards": int(np.unique(test.card_id).shape[0]),
    }
    results = []
    for name, (kind, params) in models.items():
        started = time.perf_counter()
        model = train_model(train, kind=kind, params=params, imbalance="none", seed=seed)
        seconds = time.perf_counter() - started
        ev = evaluate(test, model.score(test), k=K, entity="card")
        results.append(
            HandbookResult(
                model=name,
                kind=kind,
                roc_auc=ev.roc_auc,
                average_precision=ev.average_precision,
                card_precision_at_100=ev.card_precision_at_k,
                fit_seconds=seconds,
            )
        )
    return results, counts


def results_markdown(results: Sequence[HandbookResult]) -> str:
    """The results as a Markdown table."""
    from fraudforge.models._tables import markdown_table

    def f(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.3f}"

    rows = [
        [r.model, f(r.roc_auc), f(r.average_precision), f(r.card_precision_at_100),
         f"{r.fit_seconds:.1f}"]
        for r in results
    ]  # fmt: skip
    return markdown_table(
        ["model", "ROC AUC", "average precision", "Card Precision@100", "fit (s)"], rows
    )


def handbook_data(
    *, customers: int | None = None, seed: int | None = None, threads: int | None = None
) -> ModelData:
    """The handbook preset (with ``customers`` / ``seed`` overrides) generated in memory, its
    69 features computed in one batch, as ModelData."""
    from fraudforge.engine.scenario import Scenario
    from fraudforge.engine.streaming import scan, scan_customers
    from fraudforge.features.batch import compute_features
    from fraudforge.models.data import model_data

    options: dict[str, Any] = {"preset": "handbook"}
    if customers is not None:
        options["customers"] = customers
    if seed is not None:
        options["seed"] = seed
    scenario = Scenario(**options)
    transactions = scan(scenario).collect()
    features, _ = compute_features(
        transactions, scan_customers(scenario).collect(), threads=threads
    )
    return model_data(features, transactions)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m fraudforge.models.handbook``: run the protocol and print a Markdown table."""
    parser = argparse.ArgumentParser(
        prog="python -m fraudforge.models.handbook", description=__doc__
    )
    parser.add_argument("--customers", type=int, help="customers (default: the preset's 5,000)")
    parser.add_argument("--seed", type=int, help="scenario seed (default: the preset's)")
    parser.add_argument(
        "--train-start", type=dt.date.fromisoformat, default=TRAIN_START,
        help="first training day (default: 2018-07-25)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data = handbook_data(customers=args.customers, seed=args.seed)
    prepared = time.perf_counter() - started
    results, counts = run_handbook(data, train_start=args.train_start)
    days = (data.t.max() - data.t.min()) / US_PER_DAY
    print(
        f"handbook preset: {len(data):,} transactions over {days:.0f} days, "
        f"{int(data.y.sum()):,} fraud; generated with features in {prepared:.1f} s"
    )
    print(", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print()
    print(results_markdown(results), end="")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
