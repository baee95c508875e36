"""``fraudforge api-key`` and ``fraudforge serve`` as a user runs them: a real process on a
loopback port, scored over HTTP, stopped with SIGTERM, leaving a snapshot behind."""

from __future__ import annotations

import datetime as dt
import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from fraudforge.features.online import to_micros
from fraudforge.features.replay import load_snapshot

from .conftest import Deployment


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_scores_and_snapshots_on_sigterm(deployment: Deployment, tmp_path: Path) -> None:
    """Create a key, serve with it, score, stop: the shutdown snapshot holds the scored row
    and the key appears in no output but its own."""
    cli = [sys.executable, "-m", "fraudforge.cli"]
    keys = tmp_path / "keys.json"
    made = subprocess.run(
        [*cli, "api-key", "--keys", str(keys), "--id", "cli", "--scopes", "score"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    key = made.stdout.strip()
    assert key.startswith("ffk_")
    assert key not in keys.read_text()
    state = tmp_path / "state.npz"
    state.write_bytes(deployment.snapshot.read_bytes())
    port = _free_port()
    proc = subprocess.Popen(
        [*cli, "serve", "--registry", str(deployment.registry), "--model",
         f"{deployment.name}@production", "--port", str(port), "--state", str(state),
         "--keys", str(keys), "--thresholds", "0.2,0.5,0.8", "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "serve did not become ready"
            time.sleep(0.1)
        body = deployment.rest[0]
        r = httpx.post(base + "/v1/score", content=json.dumps(body), headers={"x-api-key": key})
        assert r.status_code == 200, r.text
        p = r.json()["fraud_probability"]
        expected = (
            "BLOCK" if p >= 0.8 else "REVIEW" if p >= 0.5 else "FLAG" if p >= 0.2 else "ALLOW"
        )
        assert r.json()["decision"] == expected
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    # uvicorn shuts down gracefully, then re-raises the signal it caught
    assert proc.returncode in (0, -signal.SIGTERM), err
    assert key not in err
    restored = load_snapshot(state).to_state()
    ids = restored["cust_id"].tolist()
    i = ids.index(body["customer_id"])
    assert restored["cust_last_t"][i] == to_micros(dt.datetime.fromisoformat(body["timestamp"]))
