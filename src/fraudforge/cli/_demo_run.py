"""The demo's last step: start ``fraudforge serve`` on a free loopback port with the online state
of the history before some held-out transactions, score those through the client, print what
came back and stop the server again. The CLI's side of the service: it runs the server as a
subprocess and talks to it only through the client."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl
from rich.console import Console

from fraudforge.client import Client
from fraudforge.engine.dataset import scan_dataset
from fraudforge.features.pipeline import read_features
from fraudforge.features.replay import replayed, save_snapshot
from fraudforge.service.scoring import transactions_of
from fraudforge.service.server import free_port
from fraudforge.wire import ScoreResult


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
    """The online state after ``history`` (``features.replay``), snapshotted to ``path``."""
    customers = scan_dataset(data, "customers").collect()
    online = replayed(history, customers, read_features(features)[0].outlier)
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


__all__ = ["demo_service", "held_out", "write_history_state"]
