"""The model lifecycle against real servers on 127.0.0.1, real registries and real files: damaged
models refused (422) while the old one keeps serving, and refused at start-up with one line and
exit 2; promotion moves stages only once the model has loaded; the catalogue hash and the
model's own alert threshold are honoured on every swap; a model reference that does not exist
fails before listening; snapshots are serialized, unique, durable, counted when they fail,
cleaned up after crashes, and survive a SIGKILL mid-write."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from fraudforge.features.pipeline import catalog_hash
from fraudforge.features.replay import load_snapshot, write_state
from fraudforge.models import FraudModel, Registry
from fraudforge.models._lightgbm import BoosterClassifier
from fraudforge.service.app import create_app
from fraudforge.service.scoring import thresholds_from_alert
from fraudforge.service.state import FORK_SNAPSHOTS, remove_stale_partials

from .conftest import Deployment, Served
from .live import live_server

BAD = {3: "truncated", 4: "garbage trees", 5: "wrong feature count"}
DIFFERS, LOW = 6, 7
"""Versions of the lifecycle registry: 1 production and 2 staging (the deployment's), then the
damaged ones, one trained on another catalogue, one validated at alert threshold 0.2."""


@dataclass(frozen=True)
class Lifecycle:
    registry: Path
    name: str
    old_hash: str


def _text_model(served: Served, text: str, features: tuple[str, ...]) -> FraudModel:
    """``served``'s model with its stored LightGBM text replaced by ``text`` (its hashes are
    recorded as usual: the damage is inside a consistent artefact)."""
    est = BoosterClassifier(model_str=text, classes=(False, True))
    est.classes_ = np.array([False, True])
    return FraudModel(kind="lightgbm", estimator=est, features=features, name=served.model.name)


def _garbage_trees(text: str) -> str:
    """The second tree's child indices replaced by garbage of another length."""
    head, tree = text.split("Tree=1\n", 1)
    lines = tree.split("\n")
    lines = ["left_child=7 -99 x" if ln.startswith("left_child=") else ln for ln in lines]
    return head + "Tree=1\n" + "\n".join(lines)


def _build(served: Served, deployment: Deployment, root: Path) -> Lifecycle:
    shutil.copytree(deployment.registry, root)
    reg = Registry(root, create=False)
    name = deployment.name
    text = served.model.estimator.booster_.model_to_string()
    features = served.model.features
    reg.register(_text_model(served, text[: len(text) // 2], features), name=name)
    reg.register(_text_model(served, _garbage_trees(text), features), name=name)
    reg.register(_text_model(served, text, features[:-1]), name=name)
    old_hash = "0" * 64
    reg.register(served.model, name=name, catalog_hash=old_hash)
    low = FraudModel(
        kind=served.model.kind,
        estimator=served.model.estimator,
        features=features,
        params=served.model.params,
        threshold=0.2,
        name=name,
    )
    reg.register(low, name=name)
    assert [v.version for v in reg.list(name)] == [1, 2, 3, 4, 5, DIFFERS, LOW]
    return Lifecycle(root, name, old_hash)


@pytest.fixture(scope="module")
def lifecycle(
    served: Served, deployment: Deployment, tmp_path_factory: pytest.TempPathFactory
) -> Lifecycle:
    return _build(served, deployment, tmp_path_factory.mktemp("lifecycle") / "registry")


def _admin(deployment: Deployment) -> dict[str, str]:
    return {"x-api-key": deployment.admin_key}


def _stages(registry: Path, name: str) -> dict[int, str]:
    return {v.version: v.stage for v in Registry(registry, create=False).list(name)}


def _score(base: str, deployment: Deployment, body: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(
        base + "/v1/score", content=json.dumps(body), headers={"x-api-key": deployment.score_key}
    )
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_damaged_models_are_refused_and_the_old_one_keeps_serving(
    deployment: Deployment, lifecycle: Lifecycle, tmp_path: Path
) -> None:
    """Each damaged version (LightGBM aborts on the first two; the service reads them with its
    own text reader, which refuses them) answers 422 naming what is wrong, through
    /v1/admin/model and through a promotion with serve; the server stays up on v1, and the
    failed promotions moved no stage (item 2)."""
    registry = tmp_path / "registry"
    shutil.copytree(lifecycle.registry, registry)
    app = create_app(deployment.settings(tmp_path / "s.npz", registry=str(registry)))
    before = _stages(registry, lifecycle.name)
    history = Registry(registry, create=False).history(lifecycle.name, 1)
    expected = {
        3: r"not a readable LightGBM model \(no `end of trees` line",
        4: r"not a readable LightGBM model \(tree 1: left_child holds a value that is not a",
        5: r"reads \d+ features, the model's spec lists \d+",
    }
    with live_server(app) as base:
        for version, what in BAD.items():
            ref = f"{lifecycle.name}:{version}"
            r = httpx.post(
                base + "/v1/admin/model", json={"model": ref}, headers=_admin(deployment)
            )
            assert r.status_code == 422, (what, r.text)
            assert r.json()["field"] == "model"
            assert re.search(expected[version], r.json()["error"]), (what, r.text)
            promote = {"name": lifecycle.name, "version": version, "stage": "production"}
            r = httpx.post(
                base + "/v1/admin/promote",
                json={**promote, "serve": True},
                headers=_admin(deployment),
            )
            assert r.status_code == 422, (what, r.text)
            assert re.search(expected[version], r.json()["error"]), (what, r.text)
            # without serve, a promotion to production is checked as a start would check it
            r = httpx.post(base + "/v1/admin/promote", json=promote, headers=_admin(deployment))
            assert r.status_code == 422, (what, r.text)
            assert httpx.get(base + "/ready").status_code == 200
            assert httpx.get(base + "/v1/model", headers=_admin(deployment)).json()["version"] == 1
            _score(base, deployment, deployment.rest[version])
        metrics = httpx.get(base + "/metrics").text
    assert "\nfraudforge_model_swaps_total 0\n" in metrics
    assert _stages(registry, lifecycle.name) == before
    assert Registry(registry, create=False).history(lifecycle.name, 1) == history


def test_a_good_promotion_moves_stages_once_loaded(
    deployment: Deployment, lifecycle: Lifecycle, tmp_path: Path
) -> None:
    """A promotion with serve that loads moves both stages in one go: v2 production, v1
    archived, and the service serves v2 in stage production."""
    registry = tmp_path / "registry"
    shutil.copytree(lifecycle.registry, registry)
    app = create_app(deployment.settings(tmp_path / "s.npz", registry=str(registry)))
    with live_server(app) as base:
        r = httpx.post(
            base + "/v1/admin/promote",
            json={"name": lifecycle.name, "version": 2, "stage": "production", "serve": True},
            headers=_admin(deployment),
        )
        assert r.status_code == 200, r.text
        assert (r.json()["version"], r.json()["stage"]) == (2, "production")
    stages = _stages(registry, lifecycle.name)
    assert (stages[1], stages[2]) == ("archived", "production")


def test_a_model_of_another_catalogue_is_refused_with_both_hashes(
    deployment: Deployment, lifecycle: Lifecycle, tmp_path: Path
) -> None:
    app = create_app(deployment.settings(tmp_path / "s.npz", registry=str(lifecycle.registry)))
    with live_server(app) as base:
        r = httpx.post(
            base + "/v1/admin/model",
            json={"model": f"{lifecycle.name}:{DIFFERS}"},
            headers=_admin(deployment),
        )
        assert r.status_code == 422, r.text
        assert r.json()["field"] == "model"
        assert lifecycle.old_hash in r.json()["error"]
        assert catalog_hash() in r.json()["error"]
        assert httpx.get(base + "/v1/model", headers=_admin(deployment)).json()["version"] == 1


def _damage_index(registry: Path) -> None:
    import sqlite3

    index = registry / "registry.sqlite"
    with sqlite3.connect(index) as db:  # fold the WAL in, then overwrite the file
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    index.write_bytes(b"x" * 4096)


def test_a_damaged_index_answers_503_on_a_swap_and_keeps_serving(
    deployment: Deployment, lifecycle: Lifecycle, tmp_path: Path
) -> None:
    """The index damaged under a running server: a swap answers 503 naming the index (not a
    500), and the served model keeps scoring."""
    registry = tmp_path / "registry"
    shutil.copytree(lifecycle.registry, registry)
    app = create_app(deployment.settings(tmp_path / "s.npz", registry=str(registry)))
    with live_server(app) as base:
        _damage_index(registry)
        r = httpx.post(
            base + "/v1/admin/model",
            json={"model": f"{lifecycle.name}:2"},
            headers=_admin(deployment),
        )
        assert r.status_code == 503, r.text
        assert "registry index" in r.json()["error"]
        assert "registry.sqlite" in r.json()["error"]
        _score(base, deployment, deployment.rest[0])


def test_a_swap_serves_the_models_own_thresholds_unless_settings_fix_them(
    deployment: Deployment, served: Served, lifecycle: Lifecycle, tmp_path: Path
) -> None:
    """The bands come from each model's registered alert threshold t (t/2, t, t + 0.75 (1 - t)),
    so swapping to a model validated at 0.2 changes them with it; decisions follow them. Fixed
    settings thresholds stay whatever is served."""
    own = thresholds_from_alert(served.model.threshold)
    low = thresholds_from_alert(0.2)
    assert (low.flag, low.review, low.block) == (0.1, 0.2, 0.8)
    assert thresholds_from_alert(0.6).block == 0.9
    app = create_app(deployment.settings(tmp_path / "s.npz", registry=str(lifecycle.registry)))
    with live_server(app) as base:
        info = httpx.get(base + "/v1/model", headers=_admin(deployment)).json()
        assert info["thresholds"] == {"flag": own.flag, "review": own.review, "block": own.block}
        r = httpx.post(
            base + "/v1/admin/model",
            json={"model": f"{lifecycle.name}:{LOW}"},
            headers=_admin(deployment),
        )
        assert r.status_code == 200, r.text
        assert r.json()["thresholds"] == {"flag": 0.1, "review": 0.2, "block": 0.8}
        for body in deployment.rest[:60]:
            got = _score(base, deployment, body)
            assert got["decision"] == low.decide(got["fraud_probability"])
    fixed = {"flag": 0.25, "review": 0.5, "block": 0.75}
    app = create_app(
        deployment.settings(tmp_path / "t.npz", registry=str(lifecycle.registry), thresholds=fixed)
    )
    with live_server(app) as base:
        r = httpx.post(
            base + "/v1/admin/model",
            json={"model": f"{lifecycle.name}:{LOW}"},
            headers=_admin(deployment),
        )
        assert r.json()["thresholds"] == fixed


def _cli_serve(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return subprocess.run(
        [sys.executable, "-m", "fraudforge.cli", "serve", "--port", str(port), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "1000"},  # rich wraps at the terminal width otherwise
    )


def test_serve_refuses_a_model_that_cannot_be_served_before_listening(
    deployment: Deployment, lifecycle: Lifecycle, tmp_path: Path
) -> None:
    """An unknown reference, a damaged model (LightGBM would abort; the service's text reader
    refuses it) and a model of another catalogue: `fraudforge serve` exits 2 with one line
    naming the problem, before listening."""
    state = tmp_path / "s.npz"
    state.write_bytes(deployment.snapshot.read_bytes())
    base = ["--registry", str(lifecycle.registry), "--state", str(state), "--log-level", "warning"]
    cases = {
        "nope@production": [
            "model nope@production is not in the registry",
            str(lifecycle.registry),
            f"{lifecycle.name} (v1 production, v2 staging, v3 none",
        ],
        f"{lifecycle.name}:99": ["has no version 99", "it holds"],
        f"{lifecycle.name}:3": ["member-000.lgb.txt: not a readable LightGBM model", "end of"],
        f"{lifecycle.name}:5": ["features, the model's spec lists"],
        f"{lifecycle.name}:{DIFFERS}": [lifecycle.old_hash, catalog_hash()],
    }
    damaged = tmp_path / "damaged"
    shutil.copytree(lifecycle.registry, damaged)
    _damage_index(damaged)
    runs = [(model, base) for model in cases]
    runs.append((f"{lifecycle.name}@production", ["--registry", str(damaged), *base[2:]]))
    cases[f"{lifecycle.name}@production"] = ["model registry index", "registry.sqlite"]
    for model, flags in runs:
        wanted = cases[model]
        done = _cli_serve(*flags, "--model", model)
        assert done.returncode == 2, (model, done.returncode, done.stderr[-500:])
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, (model, done.stderr)
        assert lines[0].startswith("error:"), (model, done.stderr)
        for text in wanted:
            assert text in lines[0], (model, text, lines[0])


def test_serve_and_train_default_to_the_same_model_name() -> None:
    from fraudforge.cli import build_parser
    from fraudforge.service.settings import Settings

    train = build_parser().parse_args(["train", "--data", "d", "--features", "f"])
    assert Settings(registry="r").model == f"{train.name}@production"


# --- snapshots -----------------------------------------------------------------------------


def _partials(state: Path) -> list[Path]:
    return sorted(state.parent.glob(f".{state.name}.partial-*"))


def test_concurrent_snapshot_writers_leave_one_complete_file(
    deployment: Deployment, tmp_path: Path
) -> None:
    """Writers that used to share one temporary name (and corrupt the file): eight threads
    writing at once, then eight admin snapshots at once on a live server while it scores.
    Every write lands whole and no temporary file is left."""
    state = tmp_path / "state.npz"
    source = load_snapshot(deployment.snapshot).to_state()
    for _ in range(3):
        threads = [threading.Thread(target=write_state, args=(source, state)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert load_snapshot(state).to_state().keys() == source.keys()
        assert _partials(state) == []
    app = create_app(deployment.settings(state))
    answers: list[int] = []
    with live_server(app) as base:

        def snap() -> None:
            r = httpx.post(base + "/v1/admin/snapshot", headers=_admin(deployment), timeout=120)
            answers.append(r.status_code)

        threads = [threading.Thread(target=snap) for _ in range(8)]
        for t in threads:
            t.start()
        for body in deployment.rest[:50]:
            _score(base, deployment, body)
        for t in threads:
            t.join()
        text = httpx.get(base + "/metrics").text
    assert answers == [200] * 8
    assert "\nfraudforge_snapshots 9.0\n" in text or "\nfraudforge_snapshots 8.0\n" in text
    assert "\nfraudforge_snapshot_failures_total 0\n" in text
    assert _partials(state) == []
    restored = load_snapshot(state).to_state()
    last = dict(zip(restored["cust_id"].tolist(), restored["cust_last_t"].tolist(), strict=True))
    assert deployment.rest[49]["customer_id"] in last


def _metric(text: str, name: str) -> float:
    return float(text.split(f"\n{name} ")[1].split()[0])


def test_a_failing_snapshot_is_logged_counted_and_the_next_one_still_runs(
    deployment: Deployment, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The snapshot path made unwritable (a directory stands where the file goes): each
    failure is logged and counted in /metrics, the admin route answers 503, and once the path
    is writable again the periodic snapshots resume by themselves."""
    state = tmp_path / "state.npz"
    app = create_app(deployment.settings(state, snapshot_interval_s=0.05))
    with caplog.at_level(logging.ERROR, logger="fraudforge.service"), live_server(app) as base:
        state.unlink()
        state.mkdir()
        deadline = time.monotonic() + 60
        while _metric(httpx.get(base + "/metrics").text, "fraudforge_snapshot_failures_total") < 3:
            assert time.monotonic() < deadline, "no snapshot failure counted"
            time.sleep(0.05)
        r = httpx.post(base + "/v1/admin/snapshot", headers=_admin(deployment))
        assert r.status_code == 503, r.text
        assert "snapshot to" in r.json()["error"]
        state.rmdir()
        # The file appears when the writer renames it into place; the metric follows just after.
        while True:
            text = httpx.get(base + "/metrics").text
            if (
                state.is_file()
                and _metric(text, "fraudforge_snapshot_last_success_timestamp_seconds") > 0
            ):
                break
            assert time.monotonic() < deadline, "snapshots did not resume"
            time.sleep(0.05)
    failures = [
        r for r in caplog.records if "snapshot" in r.getMessage() and "failed" in r.getMessage()
    ]
    assert len(failures) >= 3
    load_snapshot(state)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_partials_of_dead_processes_are_removed_at_start(
    deployment: Deployment, tmp_path: Path
) -> None:
    """Temporary files of writers that died are removed when the server starts; one of a
    process that still runs is left alone."""
    state = tmp_path / "state.npz"
    dead = tmp_path / f".state.npz.partial-{_dead_pid()}-abc"
    old_style = tmp_path / f".state.npz.partial-{_dead_pid()}"
    living = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        alive = tmp_path / f".state.npz.partial-{living.pid}-xyz"
        other = tmp_path / f".other.npz.partial-{_dead_pid()}-abc"
        for p in (dead, old_style, alive, other):
            p.write_bytes(b"half a snapshot")
        app = create_app(deployment.settings(state))
        with live_server(app):
            pass
        assert not dead.exists()
        assert not old_style.exists()
        assert alive.exists()
        assert other.exists()
    finally:
        living.kill()
        living.wait()
    assert remove_stale_partials(state) == [alive]


def _wait_ready(base: str, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(base + "/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "serve did not become ready"
        time.sleep(0.05)


@pytest.mark.skipif(not FORK_SNAPSHOTS, reason="snapshots by a forked writer need os.fork")
def test_sigkill_mid_snapshot_leaves_the_old_or_the_new_complete_file(
    deployment: Deployment, tmp_path: Path
) -> None:
    """A real `fraudforge serve` snapshotting continuously is SIGKILLed while a snapshot is
    being written (its temporary file exists): the snapshot file is then either the old one,
    byte for byte, or a complete new one holding the scored transactions; the writer dies with
    the server, and the next start removes its temporary file and serves from the file."""
    state = tmp_path / "state.npz"
    state.write_bytes(deployment.snapshot.read_bytes())
    rounds, rest = 3, iter(deployment.rest)
    for _ in range(rounds):
        before = state.read_bytes()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen(
            [sys.executable, "-m", "fraudforge.cli", "serve", "--registry",
             str(deployment.registry), "--model", f"{deployment.name}@production",
             "--port", str(port), "--state", str(state), "--snapshot-interval", "0.01",
             "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base, proc)
            scored = [next(rest) for _ in range(5)]
            for body in scored:
                r = httpx.post(base + "/v1/score", content=json.dumps(body))
                assert r.status_code == 200, r.text
            deadline = time.monotonic() + 60
            while not _partials(state):
                assert time.monotonic() < deadline, "never saw a snapshot being written"
            proc.kill()
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
        partials = _partials(state)
        deadline = time.monotonic() + 30
        while any(_writer_alive(p) for p in partials):  # the writer dies with the server
            assert time.monotonic() < deadline, "the snapshot writer outlived the server"
            time.sleep(0.02)
        restored = load_snapshot(state).to_state()  # complete: every array reads back
        if state.read_bytes() != before:
            last = dict(
                zip(restored["cust_id"].tolist(), restored["cust_last_t"].tolist(), strict=True)
            )
            assert all(b["customer_id"] in last for b in scored)
    app = create_app(deployment.settings(state, copy=False))
    with live_server(app):
        assert _partials(state) == []


def _writer_alive(partial: Path) -> bool:
    pid = int(partial.name.split(".partial-")[1].split("-")[0])
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


@pytest.fixture
def no_snapshot_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    import fraudforge.service.state as state_module

    monkeypatch.setattr(state_module, "FORK_SNAPSHOTS", False)
    return


def test_snapshots_without_fork_write_the_same_state(
    deployment: Deployment, tmp_path: Path, no_snapshot_fork: None
) -> None:
    """Where os.fork is missing the state is copied under the lock in a worker thread: the
    same complete file."""
    state = tmp_path / "state.npz"
    app = create_app(deployment.settings(state))
    with live_server(app) as base:
        for body in deployment.rest[:5]:
            _score(base, deployment, body)
        r = httpx.post(base + "/v1/admin/snapshot", headers=_admin(deployment))
        assert r.status_code == 200, r.text
        online = app.state.service.state.online.to_state()
    saved = load_snapshot(state).to_state()
    for key in online:
        np.testing.assert_array_equal(online[key], saved[key], err_msg=key)
