"""The examples run as a user runs them (subprocesses on real files) at a small size: the
pipeline registers a model, batch scoring writes the model's own scores, the payment flow maps
decisions to outcomes and falls back when the service fails or is slow, and the live monitor's
figures agree with the service's metrics. The service is a real server on 127.0.0.1."""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import polars as pl
import pytest

import fraudforge
from fraudforge.features import read_features
from fraudforge.models import Registry
from fraudforge.service.app import create_app
from fraudforge.service.scoring import TRANSACTION_FIELDS
from fraudforge.wire import IST
from tests.service import conftest as service_fixtures
from tests.service.conftest import SERVICE_SMALL, Deployment
from tests.service.live import live_server

served = service_fixtures.served
deployment = service_fixtures.deployment
"""The service tests' session fixtures: a small model registered and its online state."""

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
OUTCOME = {"ALLOW": "approve", "FLAG": "approve", "REVIEW": "step_up", "BLOCK": "decline"}


def _run(script: str, *args: object, timeout: float = 180) -> str:
    """Run ``examples/<script>`` with this interpreter; its standard output (fails on exit != 0)."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """examples/pipeline.py at 20k rows: its output directory and standard output."""
    out = tmp_path_factory.mktemp("pipeline")
    return out, _run("pipeline.py", "--rows", 20_000, "--out", out, "--trees", 40)


def test_pipeline_registers_an_evaluated_model(pipeline: tuple[Path, str]) -> None:
    """The model is version 1 in production, with the test-week metrics it printed, trained on
    the generated dataset (its hash) and the current catalogue; it loads checked."""
    out, stdout = pipeline
    registry = Registry(out / "registry", create=False)
    version = registry.show("fraud-model", stage="production")
    assert version.version == 1
    manifest = fraudforge.read_manifest(out / "data")
    assert version.data_hash == manifest.content_hash
    assert f"content hash {manifest.content_hash}" in stdout
    auc = version.metric("roc_auc")
    assert auc is not None
    assert f"ROC AUC {auc:.4f}" in stdout
    # A few dozen fraud rows in the test week of 20K rows and 40 trees: clearly better than
    # chance (0.76 measured), below the 0.85-0.97 of the default preset at 300K rows.
    assert auc > 0.7
    model = registry.load("fraud-model", stage="production", check_catalog=True)
    assert model.threshold == pytest.approx(version.threshold)
    assert len(model.features) == 69


def test_batch_scoring_writes_the_models_scores(pipeline: tuple[Path, str], tmp_path: Path) -> None:
    """Every row's probability equals the registered model's score of its features, the alert
    flag is probability >= threshold, across slices of 3,000 rows."""
    out, _ = pipeline
    scores_file = tmp_path / "scores.parquet"
    stdout = _run(
        "batch_score.py", "--data", out / "data", "--features", out / "features",
        "--registry", out / "registry", "--model", "fraud-model@production",
        "--out", scores_file, "--batch-rows", 3_000,
    )  # fmt: skip
    scores = pl.read_parquet(scores_file)
    model = Registry(out / "registry", create=False).load("fraud-model", stage="production")
    features = read_features(out / "features")[1].collect()
    assert scores["transaction_id"].to_list() == features["transaction_id"].to_list()
    expected = model.score(features)
    np.testing.assert_allclose(scores["fraud_probability"].to_numpy(), expected, rtol=1e-12)
    assert scores["alert"].to_list() == (expected >= model.threshold).tolist()
    assert f"scored {features.height:,} transactions" in stdout
    assert f"{int(scores['alert'].sum()):,} alerts" in stdout
    assert [p.name for p in tmp_path.iterdir()] == ["scores.parquet"]  # no partial file left


def test_batch_scoring_computes_missing_features(
    pipeline: tuple[Path, str], tmp_path: Path
) -> None:
    """Without --features the features are computed first; --rows limits the rows scored, and
    the scores equal those from the committed features."""
    out, _ = pipeline
    first = tmp_path / "first.parquet"
    stdout = _run(
        "batch_score.py", "--data", out / "data", "--registry", out / "registry",
        "--out", first, "--rows", 1_000,
    )  # fmt: skip
    assert "computed the features" in stdout
    scores = pl.read_parquet(first)
    assert scores.height == 1_000
    model = Registry(out / "registry", create=False).load("fraud-model", stage="production")
    features = read_features(out / "features")[1].head(1_000).collect()
    np.testing.assert_allclose(scores["fraud_probability"].to_numpy(), model.score(features))


@pytest.fixture(scope="module")
def known_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The served scenario written as a dataset: its customers are the ones the service knows."""
    out = tmp_path_factory.mktemp("known") / "data"
    fraudforge.generate(SERVICE_SMALL, out)
    return out


@pytest.fixture
def service(deployment: Deployment, tmp_path: Path) -> Iterator[str]:
    """A fresh server of the deployment (its own copy of the online state)."""
    with live_server(create_app(deployment.settings(tmp_path / "state.npz"))) as url:
        yield url


_LINE = re.compile(
    r"^txn (\d+) amount ([\d.]+) -> (approve|step_up|decline) by (model|fallback): (.*)$"
)


def _authorised(stdout: str) -> list[tuple[float, str, str, str]]:
    """(amount, outcome, source, detail) of each payment line."""
    found = [_LINE.match(line) for line in stdout.splitlines()]
    return [(float(m[2]), m[3], m[4], m[5]) for m in found if m]


def test_payment_flow_follows_the_decisions(
    service: str, deployment: Deployment, known_data: Path
) -> None:
    """Every payment is scored by the model and its outcome is the decision's."""
    stdout = _run(
        "payment_flow.py", "--url", service, "--api-key", deployment.score_key,
        "--data", known_data, "--rows", 40, "--timeout", 5,
    )  # fmt: skip
    lines = _authorised(stdout)
    assert len(lines) == 40
    for _, outcome, source, detail in lines:
        assert source == "model", detail
        assert outcome == OUTCOME[detail.split()[0]]
    counted = {o: sum(1 for line in lines if line[1] == o) for o in OUTCOME.values()}
    assert f"approve={counted['approve']} step_up={counted['step_up']}" in stdout
    assert "by the model 40, by the fallback 0" in stdout


def _fallback(amount: float, limit: float = 2_000.0) -> str:
    return "approve" if amount <= limit else "step_up"


def test_payment_flow_falls_back_when_the_service_fails(service: str, known_data: Path) -> None:
    """A wrong key (401) and a service nobody listens on both end in the amount rules, which
    approve up to the limit and step up above it."""
    amounts = fraudforge.scan_dataset(known_data).sort("timestamp", "transaction_id").tail(6)
    limit = float(amounts.select(pl.col("amount_inr").median()).collect().item())
    refused = _authorised(
        _run("payment_flow.py", "--url", service, "--api-key", "ffk_wrong",
             "--data", known_data, "--rows", 6, "--approve-up-to", limit)
    )  # fmt: skip
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"  # bound, never listening
        down = _authorised(
            _run("payment_flow.py", "--url", closed, "--data", known_data, "--rows", 6,
                 "--approve-up-to", limit)
        )  # fmt: skip
    assert [line[3].split(":")[0] for line in refused] == ["service answered 401"] * 6
    assert [line[3] for line in down] == ["service unavailable (ServiceUnreachableError)"] * 6
    for amount, outcome, source, _ in refused + down:
        assert source == "fallback"
        assert outcome == _fallback(amount, limit)
    assert {line[1] for line in down} == {"approve", "step_up"}


def test_payment_flow_falls_back_on_a_timeout(known_data: Path) -> None:
    """A service that accepts the connection but never answers times out into the fallback,
    within the timeout x attempts budget."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)  # connections queue in the backlog; nothing ever reads or answers
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        began = time.monotonic()
        lines = _authorised(
            _run("payment_flow.py", "--url", url, "--data", known_data, "--rows", 3,
                 "--timeout", 0.2, "--attempts", 1)
        )  # fmt: skip
        took = time.monotonic() - began
    assert [line[3] for line in lines] == ["no answer in time (ReadTimeout)"] * 3
    assert [line[1] for line in lines] == [_fallback(line[0]) for line in lines]
    assert took < 15  # start-up plus 3 x 0.2 s, not a hang


def _metric_counts(url: str) -> dict[str, int]:
    text = httpx.get(url + "/metrics").text
    found = re.findall(r'^fraudforge_decisions_total\{decision="(\w+)"\} (\d+)', text, re.M)
    return {d: int(n) for d, n in found}


def _monitor(
    service: str, deployment: Deployment, data: Path, out: Path, *args: object
) -> dict[str, Any]:
    """A bounded plain run of the live monitor: its summary (also checks the output is plain)."""
    stdout = _run(
        "live_monitor.py", "--url", service, "--api-key", deployment.score_key,
        "--data", data, "--duration", 60, "--plain", "--summary-json", out, *args,
    )  # fmt: skip
    assert "fraudforge live" in stdout
    assert "\x1b[" not in stdout  # plain output: no terminal escapes
    summary: dict[str, Any] = json.loads(out.read_text())
    return summary


def test_examples_run_in_any_order_and_agree_with_the_service(
    service: str, deployment: Deployment, known_data: Path, tmp_path: Path
) -> None:
    """Live runs (the default) follow each other in any order, after a payment stamped now
    for a customer of the tail (as the quickstart's snippets score): the live monitor, the
    payment flow, the live monitor again send every payment and score all without error; their
    decision counts add up to the service's own (/metrics)."""
    tail = fraudforge.scan_dataset(known_data).sort("timestamp", "transaction_id").tail(300)
    last = tail.collect().row(-1, named=True)
    now = dt.datetime.now(IST).replace(tzinfo=None).isoformat()
    snippet = {k: v for k, v in last.items() if k in TRANSACTION_FIELDS}
    snippet |= {"transaction_id": 10**15, "timestamp": now}
    answer = httpx.post(
        f"{service}/v1/score",
        content=json.dumps(snippet, default=str),
        headers={"X-API-Key": deployment.score_key, "content-type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    counts: collections.Counter[str] = collections.Counter([answer.json()["decision"]])
    first = _monitor(service, deployment, known_data, tmp_path / "1.json", "--rows", 300)
    flow = _run(
        "payment_flow.py", "--url", service, "--api-key", deployment.score_key,
        "--data", known_data, "--rows", 300, "--timeout", 5,
    )  # fmt: skip
    again = _monitor(service, deployment, known_data, tmp_path / "2.json", "--rows", 300)
    for summary in (first, again):
        assert (summary["sent"], summary["scored"], summary["errors"]) == (300, 300, {})
        assert summary["round_trip_ms"]["p50"] > summary["server_ms"]["p50"] > 0
        counts.update(summary["decisions"])
    lines = _authorised(flow)
    assert len(lines) == 300
    assert all(source == "model" for _, _, source, _ in lines)
    counts.update(detail.split()[0] for *_, detail in lines)
    assert {d: n for d, n in counts.items() if n} == _metric_counts(service)


def test_a_replay_period_is_refused_after_a_live_run(
    service: str, deployment: Deployment, known_data: Path, tmp_path: Path
) -> None:
    """``--period 1`` replays the tail with its time gaps (whole weeks after the dataset): all
    scored; then a live run, all scored; then ``--period 2``, which lies before the live run's
    payments, is refused for the customers the live run saw (earlier than their last
    transaction), and the monitor names that reason."""
    rows = ("--rows", 200)
    first = _monitor(service, deployment, known_data, tmp_path / "1.json", *rows, "--period", 1)
    assert (first["sent"], first["scored"], first["errors"]) == (200, 200, {})
    live = _monitor(service, deployment, known_data, tmp_path / "2.json", *rows)
    assert (live["sent"], live["scored"], live["errors"]) == (200, 200, {})
    late = _monitor(service, deployment, known_data, tmp_path / "3.json", *rows, "--period", 2)
    assert late["sent"] == 200
    assert late["scored"] == 0
    assert late["errors"] == {"HTTP 422 (timestamp)": 200}


def test_live_monitor_stops_at_its_duration(
    service: str, deployment: Deployment, known_data: Path, tmp_path: Path
) -> None:
    """With a rate of 20/s and 1.5 s to run, it stops on time: at most the 30 payments due
    before the deadline are sent."""
    summary_file = tmp_path / "summary.json"
    _run(
        "live_monitor.py", "--url", service, "--api-key", deployment.score_key,
        "--data", known_data, "--rows", 5_000, "--duration", 1.5, "--rate", 20, "--plain",
        "--summary-json", summary_file,
    )  # fmt: skip
    summary = json.loads(summary_file.read_text())
    assert 20 <= summary["sent"] <= 30
    assert summary["seconds"] < 2.5
    assert summary["scored"] == summary["sent"]


def test_live_monitor_shows_why_payments_were_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The live view lists each kind of refusal with its count and the service's latest words,
    not only an error count."""
    import importlib
    import io

    from rich.console import Console

    monkeypatch.syspath_prepend(str(EXAMPLES))
    monitor = importlib.import_module("live_monitor")
    stats = monitor.Stats()
    stats.failed("HTTP 422 (timestamp)", "earlier than the customer's last transaction")
    stats.failed("HTTP 422 (timestamp)", "earlier than the customer's last transaction (2)")
    stats.failed("ServiceUnreachableError", "no connection")
    shown = io.StringIO()
    Console(file=shown, width=160).print(monitor.view(stats))
    text = shown.getvalue()
    assert "refused payments" in text
    assert re.search(
        r"HTTP 422 \(timestamp\) +│ +2 │ earlier than the customer's last transaction \(2\)", text
    )
    assert re.search(r"ServiceUnreachableError +│ +1 │ no connection", text)
