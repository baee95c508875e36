"""HTTP scoring against a real server: ``fraudforge serve`` (uvicorn, one worker) started in a
subprocess on a free 127.0.0.1 port with a small registered model (bench/http_load.py's
deployment: the demo's LightGBM model and fraud-type model, a warmed online-state snapshot and
an API key), scored through the project's ``Client``: one transaction per round trip, and
batches of 100. The server is stopped when the module's benchmarks are done. Run with
``make bench``; wrk-driven load (throughput at 16 connections): ``bench/http_load.py``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from fraudforge.client import Client
from fraudforge.wire import Transaction
from http_load import build, serving, transactions
from sizes import median_s, record_rate, size, smoke, timings_s

BATCH = 100
SMOKE_PARAMS = {"n_estimators": 20} if smoke() else None
"""The served model: the zoo's LightGBM defaults (300 trees); 20 trees in a smoke run."""


@dataclass(frozen=True)
class Live:
    """A client of the running server and the transactions to send it, in time order."""

    client: Client
    stream: Iterator[Transaction]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """``fraudforge serve`` over a deployment of 1,000 customers and 30 days (about 47K
    transactions warmed into the state), warmed by 500 requests (a smoke run: 100 customers,
    20 requests)."""
    work = tmp_path_factory.mktemp("http")
    info = build(work, customers=size(1_000, 100), days=30, params=SMOKE_PARAMS)
    with serving("uvicorn", work, info) as served, Client(served.url, api_key=info["key"]) as c:
        stream = transactions(work, info)
        for _ in range(size(500, 20)):
            c.score(next(stream))
        yield Live(c, stream)


@pytest.mark.quick
def test_http_score_one(benchmark: Any, live: Live) -> None:
    """POST /v1/score round trip through ``Client.score``: one transaction, one connection
    kept alive, 2,000 rounds (p50/p99 in ``extra_info``)."""
    sent = [next(live.stream) for _ in range(size(2_000, 20))]
    it = iter(sent)
    results = []
    benchmark.pedantic(
        lambda: results.append(live.client.score(next(it))), rounds=len(sent), iterations=1
    )
    timings, median = timings_s(benchmark), median_s(benchmark)
    # every round sends the next transaction; disabled benchmarks run one round
    assert len(results) == (1 if timings is None else len(sent))
    assert [r.transaction_id for r in results] == [t.transaction_id for t in sent[: len(results)]]
    if timings is not None and median is not None:
        times = np.asarray(timings) * 1e3
        for q in (50, 99):
            benchmark.extra_info[f"p{q}_ms"] = round(float(np.percentile(times, q)), 3)
        benchmark.extra_info["requests_per_s_median"] = round(1 / median)


def test_http_score_batch(benchmark: Any, live: Live) -> None:
    """POST /v1/score/batch round trip through ``Client.score_batch``: 100 transactions per
    request, 40 rounds."""
    batches = [[next(live.stream) for _ in range(BATCH)] for _ in range(size(40, 3))]
    it = iter(batches)
    scored = []
    benchmark.pedantic(
        lambda: scored.append(live.client.score_batch(next(it))), rounds=len(batches), iterations=1
    )
    assert scored
    assert all(len(s) == BATCH for s in scored)
    record_rate(benchmark, "transactions_per_s_median", BATCH)
