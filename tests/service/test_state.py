"""Online state across restarts and model swaps: the shutdown snapshot restores the exact
state, a restarted server scores as the old one would have, a swap under load drops no request,
and a failed start shows in /ready."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path
from typing import Any

import httpx
import msgspec
import numpy as np
import polars as pl
import pytest

from fraudforge.engine.dataset import generate
from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan
from fraudforge.features.pipeline import build_features
from fraudforge.features.replay import load_snapshot, warm_start
from fraudforge.service.app import create_app
from fraudforge.service.scoring import Scorer
from fraudforge.service.state import preflight
from fraudforge.wire import Transaction

from .conftest import Deployment
from .live import live_server


def _score(base: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(base + "/v1/score", content=json.dumps(body), headers={"x-api-key": key})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_snapshot_restart_keeps_every_feature(deployment: Deployment, tmp_path: Path) -> None:
    """Score, shut down (the lifespan snapshots), restart from the file: the restored state
    equals the old one array for array, and the next transaction scores identically."""
    state = tmp_path / "state.npz"
    first = create_app(deployment.settings(state))
    with live_server(first) as base:
        for body in deployment.rest[:40]:
            _score(base, deployment.score_key, body)
    before = first.state.service.state.online
    saved = load_snapshot(state)
    old, new = before.to_state(), saved.to_state()
    assert old.keys() == new.keys()
    for key in old:
        np.testing.assert_array_equal(old[key], new[key], err_msg=key)
    reference = Scorer.from_registry(
        deployment.registry, deployment.name, before, stage="production", top_k=5
    )
    second = create_app(deployment.settings(state, copy=False))
    with live_server(second) as base:
        for body in deployment.rest[40:50]:
            got = _score(base, deployment.score_key, body)
            want = reference.score(msgspec.convert(body, Transaction))
            assert got["fraud_probability"] == want.fraud_probability
            assert got["reasons"] == msgspec.to_builtins(want.reasons)


def test_admin_swap_under_load_drops_nothing(deployment: Deployment, tmp_path: Path) -> None:
    """Requests keep flowing while the admin API loads version 2 and then promotes version 1
    back: every request succeeds, and each client sees versions change only at a swap."""
    app = create_app(deployment.settings(tmp_path / "s.npz"))
    seen: list[list[int]] = [[] for _ in range(2)]
    errors: list[str] = []
    stop = threading.Event()
    # two clients, each with its own customers so each one's time order holds
    side = {c: i % 2 for i, c in enumerate(sorted({b["customer_id"] for b in deployment.rest}))}
    streams = [[b for b in deployment.rest if side[b["customer_id"]] == i] for i in range(2)]

    def client(i: int, base: str) -> None:
        with httpx.Client(base_url=base, headers={"x-api-key": deployment.score_key}) as c:
            for body in streams[i]:
                if stop.is_set():
                    return
                r = c.post("/v1/score", content=json.dumps(body))
                if r.status_code != 200:
                    errors.append(r.text)
                    return
                seen[i].append(r.json()["model"]["version"])

    admin = {"x-api-key": deployment.admin_key}
    with live_server(app) as base:
        threads = [threading.Thread(target=client, args=(i, base)) for i in range(2)]
        for t in threads:
            t.start()
        while min(len(s) for s in seen) < 20:
            threading.Event().wait(0.01)
        r = httpx.post(
            base + "/v1/admin/model", json={"model": f"{deployment.name}:2"}, headers=admin
        )
        assert r.status_code == 200, r.text
        assert r.json()["version"] == 2
        mid = [len(s) for s in seen]
        while min(len(s) - m for s, m in zip(seen, mid, strict=True)) < 20:
            threading.Event().wait(0.01)
        r = httpx.post(
            base + "/v1/admin/promote",
            json={"name": deployment.name, "version": 1, "stage": "production"},
            headers=admin,
        )
        assert r.status_code == 200, r.text
        assert r.json()["stage"] == "production"
        stop.set()
        for t in threads:
            t.join()
        bad = httpx.post(base + "/v1/admin/model", json={"model": "nope@production"}, headers=admin)
        assert bad.status_code == 422
        assert bad.json()["field"] == "model"
        version = httpx.get(base + "/v1/model", headers=admin).json()["version"]
    assert errors == []
    assert version == 1
    for versions in seen:
        changes = [v for a, v in itertools.pairwise(versions) if v != a]
        assert versions[0] == 1
        assert 2 in versions
        assert changes in ([2], [2, 1])


def test_failed_start_shows_in_ready(deployment: Deployment, tmp_path: Path) -> None:
    """A start that fails after listening (a damaged snapshot file; an unknown model is
    refused before listening): /health is 200, /ready 503 with the reason, scoring 503."""
    state = tmp_path / "s.npz"
    state.write_bytes(b"not a snapshot")
    app = create_app(deployment.settings(state, copy=False))
    with live_server(app, ready=False) as base:
        for _ in range(200):
            r = httpx.get(base + "/ready")
            if r.json()["error"]:
                break
            threading.Event().wait(0.05)
        assert r.status_code == 503
        assert "pickle" in r.json()["error"] or "zip" in r.json()["error"], r.json()
        assert httpx.get(base + "/health").status_code == 200
        scored = httpx.post(
            base + "/v1/score",
            content=json.dumps(deployment.rest[0]),
            headers={"x-api-key": deployment.score_key},
        )
        assert scored.status_code == 503
        assert scored.headers["retry-after"] == "1"


def test_warm_start_replays_the_dataset(tmp_path: Path) -> None:
    """A warm start from a written dataset holds every customer at their last transaction and
    every confirmed fraud."""
    s = Scenario(customers=100, days=20, fraud_rate=0.05, seed=5)
    generate(s, tmp_path / "data")
    build_features(tmp_path / "data", tmp_path / "features", threads=1)
    online = warm_start(tmp_path / "data", features=tmp_path / "features")
    tx = scan(s).collect().sort("timestamp", "transaction_id")
    state = online.to_state()
    assert set(state["cust_id"].tolist()) == set(tx["customer_id"].unique().to_list())
    n_fraud = tx.filter(tx["is_fraud"] & tx["merchant_id"].is_not_null()).height
    assert state["merchant_fraud"].shape[0] == n_fraud
    last = tx.group_by("customer_id").agg(pl.col("timestamp").max().alias("t")).sort("customer_id")
    order = np.argsort(state["cust_id"])
    expected = last["t"].cast(int).to_numpy()
    np.testing.assert_array_equal(state["cust_last_t"][order], expected)


def test_periodic_snapshots(deployment: Deployment, tmp_path: Path) -> None:
    """With an interval, snapshots are written while serving, and the admin route writes one."""
    state = tmp_path / "s.npz"
    app = create_app(deployment.settings(state, snapshot_interval_s=0.2))
    with live_server(app) as base:
        state.unlink()
        for _ in range(100):
            if state.exists():
                break
            threading.Event().wait(0.05)
        assert state.exists()
        r = httpx.post(base + "/v1/admin/snapshot", headers={"x-api-key": deployment.admin_key})
        assert r.status_code == 200
        assert r.json()["bytes"] == state.stat().st_size
        text = httpx.get(base + "/metrics").text
        assert float(text.split("\nfraudforge_snapshots ")[1].split()[0]) >= 2


def test_preflight_refuses_settings_that_cannot_work(
    deployment: Deployment, tmp_path: Path
) -> None:
    """A missing registry, a bad model reference, a missing keys file or no state source fail
    before serving."""
    good = deployment.settings(tmp_path / "s.npz")
    preflight(good)
    missing = tmp_path / "keys.json"
    with pytest.raises(FileNotFoundError, match=r"API keys file .*keys.json' does not exist"):
        preflight(good.replace(keys=str(missing)))
    with pytest.raises(ValueError, match="no model registry"):
        preflight(good.replace(registry=str(tmp_path / "none")))
    with pytest.raises(ValueError, match="unknown stage `live`"):
        preflight(good.replace(model="fraud@live"))
    with pytest.raises(ValueError, match="no online state"):
        preflight(good.replace(state=str(tmp_path / "missing.npz")))
    with pytest.raises(FileNotFoundError, match="not a fraudforge dataset"):
        preflight(good.replace(state=None, data=str(tmp_path)))
    with pytest.raises(ValueError, match="no online state"):
        create_app(good.replace(state=None))
