"""Service scoring in-process: ``Scorer.score`` for one transaction (online features, the
compiled LightGBM model with the zoo's defaults as the demo trains them, 300 trees of 31 leaves,
reasons and fraud type), and the compiled trees against LightGBM's own ``predict`` for one row.
The state is warmed by the first part of a generated stream; the last 10k transactions are timed
one by one, and their p50/p99 recorded in ``extra_info``. Run with ``make bench``."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features.batch import compute_features
from fraudforge.features.layout import LAYOUT
from fraudforge.features.online import OnlineFeatures
from fraudforge.models import model_data, train_model
from fraudforge.models.fraud_type import FraudTypes, fit_fraud_type
from fraudforge.service.scoring import Scorer, transactions_of
from fraudforge.wire import Transaction
from sizes import size, smoke, timings_s


@dataclass(frozen=True)
class Bench:
    """A warmed scorer and the transactions still to score, in time order."""

    scorer: Scorer
    timed: list[Transaction]


def warmed_scorer(
    *,
    customers: int = 1_500,
    days: int = 30,
    timed: int = 20_000,
    params: dict[str, Any] | None = None,
) -> Bench:
    """Generate a stream, train the demo's model (LightGBM with the zoo's defaults, overridden
    by ``params``) and its fraud-type model on it, and warm a scorer with all but the last
    ``timed`` transactions."""
    s = Scenario(customers=customers, days=days, fraud_rate=0.05, seed=23)
    tx = scan(s).collect().sort("timestamp", "transaction_id")
    people = scan_customers(s).collect()
    features, outlier = compute_features(tx, people)
    data = model_data(features, tx)
    model = train_model(data, params=params, name="fraud-lightgbm")
    types = FraudTypes(fit_fraud_type(data, features=model.features))
    txns = transactions_of(tx)
    if len(txns) <= timed:
        raise ValueError(f"{len(txns)} transactions: raise --customers or --days above {timed}")
    scorer = Scorer(model, OnlineFeatures.from_customers(people, outlier), fraud_types=types)
    for txn in txns[:-timed]:
        scorer.score(txn)
    gc.collect()
    gc.freeze()  # as a server does after start-up: long-lived state leaves the collector's scans
    return Bench(scorer, txns[-timed:])


@pytest.fixture(scope="module")
def bench() -> Bench:
    """A scorer warmed on a generated stream, 10k transactions left to score (a smoke run:
    100 customers, 200 transactions, 20 trees)."""
    return warmed_scorer(
        customers=size(1_500, 100),
        timed=size(10_000, 200),
        params={"n_estimators": 20} if smoke() else None,
    )


def test_score_one_transaction(benchmark: Any, bench: Bench) -> None:
    """Scorer.score, one warm transaction per round (budget: p50 <= 50 us, p99 <= 150 us)."""
    it = iter(bench.timed)
    benchmark.pedantic(lambda: bench.scorer.score(next(it)), rounds=len(bench.timed), iterations=1)
    timings = timings_s(benchmark)
    if timings is not None:
        times = np.asarray(timings) * 1e6
        for q in (50, 90, 99):
            benchmark.extra_info[f"p{q}_us"] = round(float(np.percentile(times, q)), 1)
    benchmark.extra_info["trees"] = bench.scorer.compiled.n_trees if bench.scorer.compiled else 0


def test_compiled_trees_one_row(benchmark: Any, bench: Bench) -> None:
    """The compiled model's raw score and contributions for one row of online features."""
    compiled = bench.scorer.compiled
    assert compiled is not None
    row = np.random.default_rng(0).normal(size=len(LAYOUT))
    out = np.zeros(len(LAYOUT))
    benchmark(compiled.contributions, row, out)


def test_lightgbm_predict_one_row(benchmark: Any, bench: Bench) -> None:
    """Same-run baseline: LightGBM's Booster.predict(raw_score=True) for one row, one thread."""
    booster = bench.scorer.model.estimator.booster_
    row = np.random.default_rng(0).normal(size=(1, len(bench.scorer.model.features)))
    benchmark(booster.predict, row, raw_score=True, num_threads=1)
