"""HTTP scoring against a real server: ``fraudforge serve`` (uvicorn, one worker) started in a
subprocess on a free 127.0.0.1 port with a small registered model (bench/http_load.py's
deployment: the demo's LightGBM model and fraud-type model, a warmed online-state snapshot and
an API key), scored through the project's ``Client``: one transaction per round trip, and
batches of 100. Then the same server under wrk (bench/score.lua) at 1 and 16 connections,
beside the framework's ceiling: the bare Litestar + msgspec app of ``bench/ceiling_app.py``
(same route, same request bodies, a precomputed answer of the service's size) on the same
server stack, loaded the same way; each service benchmark records its share of the ceiling's
requests/s measured in the same run. The servers are stopped when the module's benchmarks are
done. Run with ``make bench``; longer, paired runs: ``bench/http_ceiling.py`` and
``bench/http_load.py``."""

from __future__ import annotations

import shutil
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fraudforge.client import Client
from fraudforge.wire import Transaction
from http_load import Load, build, capture_response, serving, transactions
from sizes import median_s, record_rate, size, smoke, timings_s

BATCH = 100
SMOKE_PARAMS = {"n_estimators": 20} if smoke() else None
"""The served model: the zoo's LightGBM defaults (300 trees); 20 trees in a smoke run."""


WRK_FIRST = 200_000
"""Clock step at which the wrk benchmarks' requests start: after every request the ``Client``
benchmarks send (a few thousand), so each customer's transactions still arrive in time order."""
WRK_ROUNDS = 3
WRK_REQUESTS = {1: size(2_000, 20), 16: size(16_000, 160)}
"""Answers per round, by connections: a round is one wrk run stopped after this many."""


@dataclass(frozen=True)
class Live:
    """A client of the running server, the transactions to send it in time order, and the
    deployment it serves."""

    client: Client
    stream: Iterator[Transaction]
    work: Path
    info: dict[str, Any]
    url: str


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
        yield Live(c, stream, work, info, served.url)


@pytest.fixture(scope="module")
def loads(live: Live) -> Iterator[dict[str, Load]]:
    """wrk loads of the service (its clock from ``WRK_FIRST``) and of the ceiling app, started
    beside it with one real answer of the service as its precomputed response; each warmed by
    a few seconds at 16 connections."""
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed: apt-get install wrk")
    service = Load(live.url, live.work, live.info, first=WRK_FIRST)
    service.run(16, 60, requests=size(16_000, 160))
    capture_response(service)
    with serving("ceiling", live.work, live.info) as bare:
        ceiling = Load(bare.url, live.work, live.info)
        ceiling.run(16, 60, requests=size(16_000, 160))
        yield {"service": service, "ceiling": ceiling}


WRK_RATES: dict[tuple[str, int], float] = {}
"""Median requests/s of each (server, connections) benchmark measured in this run."""


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


@pytest.mark.parametrize(
    ("server", "connections"),
    [("ceiling", 1), ("service", 1), ("ceiling", 16), ("service", 16)],
    ids=["ceiling-1", "service-1", "ceiling-16", "service-16"],
)
def test_http_wrk(benchmark: Any, loads: dict[str, Load], server: str, connections: int) -> None:
    """wrk POSTing ``/v1/score`` with ``connections`` connections until a fixed number of
    answers (a round's time is the work's wall time): the service, or the bare framework
    ceiling. Records requests/s, p50 and p99 (medians over rounds), and for the service its
    share of the ceiling's requests/s measured just before in this run."""
    load, wanted = loads[server], WRK_REQUESTS[connections]
    reports: list[dict[str, Any]] = []
    benchmark.pedantic(
        lambda: reports.append(load.run(connections, 120, requests=wanted)),
        rounds=WRK_ROUNDS,
        iterations=1,
    )
    assert reports
    for report in reports:
        seen = {k: report.get(k) for k in ("requests", "non_2xx", "socket_errors", "first_failure")}
        assert report["non_2xx"] == 0, seen
        # Stopping wrk once its threads are done can cut the request in flight on a connection
        # (a read error), at most one per connection; more is a real failure.
        assert report["socket_errors"] <= connections, seen
        # each wrk thread stops at its share; answers in flight when it stops still count
        assert report["requests"] >= wanted
    if median_s(benchmark) is None:
        return
    for figure in ("req_per_s", "p50_ms", "p99_ms"):
        benchmark.extra_info[figure] = statistics.median(r[figure] for r in reports)
    WRK_RATES[server, connections] = benchmark.extra_info["req_per_s"]
    ceiling = WRK_RATES.get(("ceiling", connections))
    if server == "service" and ceiling:
        benchmark.extra_info["share_of_ceiling"] = round(
            benchmark.extra_info["req_per_s"] / ceiling, 3
        )


def test_wrk_never_has_two_of_a_customers_transactions_in_flight(tmp_path: Path) -> None:
    """With fewer customers a wrk thread (10) than twice its connections (8), score.lua still
    never sends a customer's transaction while its previous one is in flight: every one is
    answered. The service refuses a customer's transaction older than its last, which one
    connection overtaking another would send (7-12 of 400 answers were such 422s a round
    before)."""
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed: apt-get install wrk")
    info = build(tmp_path, customers=20, days=20, params={"n_estimators": 20})
    with serving("uvicorn", tmp_path, info) as served:
        load = Load(served.url, tmp_path, info)
        reports = [load.run(16, 60, requests=400) for _ in range(2)]
    for report in reports:
        assert report["non_2xx"] == 0, report.get("first_failure")
        assert report["requests"] >= 400
