"""The demo's last steps: register the fraud-type model next to the demo's fraud model, then
start ``fraudforge serve`` on a free loopback port, score a few transactions through the client
and stop the server again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import polars as pl
from rich.console import Console

from fraudforge.client import Client
from fraudforge.engine.dataset import scan_dataset
from fraudforge.features.online import OnlineFeatures
from fraudforge.features.pipeline import read_features
from fraudforge.models import Registry, load_model_data
from fraudforge.service.fraud_type import TYPE_SUFFIX, fit_fraud_type
from fraudforge.service.scoring import transactions_of
from fraudforge.service.state import save_snapshot
from fraudforge.wire import ScoreResult


def register_fraud_type(
    registry: str | Path, name: str, data: str | Path, features: str | Path, *, stage: str
) -> int:
    """Fit the fraud-type model of registered model ``name`` (its newest version at ``stage``)
    on the dataset's fraud rows, register it as ``name-type`` at ``stage``; returns its
    version."""
    reg = Registry(registry, create=False)
    served = reg.show(name, stage=stage)
    model_data = load_model_data(data, features, names=served.features)
    types = fit_fraud_type(model_data, features=served.features, name=name + TYPE_SUFFIX)
    version = reg.register(
        types,
        name=name + TYPE_SUFFIX,
        description=f"most likely fraud type for {name} v{served.version}",
        tags=["demo"],
    ).version
    reg.promote(name + TYPE_SUFFIX, version, stage)
    return version


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def held_out(data: str | Path, *, count: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(history, picked): ``picked`` is the dataset's last ``count // 2`` fraud and last
    legitimate transactions in time order, ``history`` every transaction before the first of
    them. Transactions after that point that are not picked are left out."""
    tx = scan_dataset(data).collect().sort("timestamp", "transaction_id")
    picked = pl.concat(
        [
            tx.filter(pl.col("is_fraud")).tail(count // 2),
            tx.filter(~pl.col("is_fraud")).tail(count - count // 2),
        ]
    ).sort("timestamp", "transaction_id")
    return tx.filter(pl.col("timestamp") < picked["timestamp"].min()), picked


def write_history_state(
    data: str | Path, features: str | Path, history: pl.DataFrame, path: Path
) -> None:
    """The online state after ``history`` (its transactions replayed in time order, its
    confirmed frauds counting from their ``label_known_at``), snapshotted to ``path``."""
    customers = scan_dataset(data, "customers").collect()
    online = OnlineFeatures.from_customers(customers, read_features(features)[0].outlier)
    for row in history.iter_rows(named=True):
        online.process_row(row)
    frauds = history.filter(pl.col("is_fraud"))
    for merchant_id, device_id, known_at in frauds.select(
        "merchant_id", "device_id", "label_known_at"
    ).iter_rows():
        online.add_label(merchant_id=merchant_id, device_id=device_id, known_at=known_at)
    save_snapshot(online, path)


def serve_command() -> list[str]:
    """The ``fraudforge`` command of this interpreter."""
    script = Path(sys.executable).parent / "fraudforge"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from fraudforge.cli import main; sys.exit(main())"]


def demo_service(root: Path, *, name: str, stage: str, console: Console, count: int = 12) -> int:
    """Serve ``name@stage`` from ``root/registry`` on a free loopback port, with the online
    state of the dataset's history before ``count`` held-out transactions (``held_out``), score
    those through the client in time order, print the results and stop the server. Returns 0,
    or 1 when the service failed."""
    state = root / "service-state.npz"
    history, picked = held_out(root / "data", count=count)
    with console.status("replaying the history into the online state"):
        write_history_state(root / "data", root / "features", history, state)
    txns, truth = transactions_of(picked), picked["fraud_type"].to_list()
    port = free_port()
    cmd = [
        *serve_command(), "serve", "--registry", str(root / "registry"),
        "--model", f"{name}@{stage}", "--state", str(state),
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    console.print(
        f"starting the service on {url}: online state of the {history.height:,} transactions "
        f"before the {len(txns)} it will score"
    )
    proc = subprocess.Popen(cmd, env=os.environ.copy())
    try:
        with Client(url, timeout=30.0) as client:
            ready = client.wait_until_ready(timeout=900.0, interval=0.5)
            console.print(f"ready: {ready.model.name if ready.model else name} serving")
            results = client.score_batch(txns[: count // 2]) + [
                client.score(t) for t in txns[count // 2 :]
            ]
            info = client.model_info()
        console.print(
            f"scored {len(results)} transactions through the client with {info.name} "
            f"v{info.version} ({info.kind}):"
        )
        for line in _lines(results, truth):
            console.print(line, soft_wrap=True, markup=False, highlight=False)
        took = sorted(r.processing_ms for r in results)
        console.print(
            f"server-side scoring time per transaction: median {took[len(took) // 2]:.3f} ms"
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    console.print(f"service stopped (exit code {code}); its state snapshot is {state}")
    return 0 if code in (0, -signal.SIGINT) else 1


def _lines(results: list[ScoreResult], truth: list[str]) -> list[str]:
    """One line per result: decision, probability, risk, true and likely type, top reason."""
    lines = []
    for r, label in zip(results, truth, strict=True):
        reason = r.reasons[0] if r.reasons else None
        why = f"{reason.feature} (+{reason.contribution:.2f})" if reason else "-"
        lines.append(
            f"{r.decision:<6} p={r.fraud_probability:.3f} risk={r.risk_score:>3}  "
            f"truth={label:<22} likely={r.fraud_type:<22} top reason={why}"
        )
    return lines


__all__ = ["demo_service", "held_out", "register_fraud_type", "write_history_state"]
