"""Real-time monitoring: a producer thread streams payments to a running scoring service while
the terminal shows, live, the decisions, the throughput and the latency (round trip seen by the
client, and the service's own scoring time), with the latest scored payments.

    python examples/live_monitor.py --url http://127.0.0.1:8000 --api-key KEY \
        --data pipeline-output/data --rows 5000 --duration 60

``--plain`` (or output that is not a terminal) prints a progress line a second instead of the
live view; ``--summary-json`` writes the final figures.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
import numpy as np
from _stream import service_options, stamp, upcoming
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from fraudforge.client import (
    Client,
    ClientError,
    RetryPolicy,
    ScoreResult,
    ServiceError,
    Transaction,
)
from fraudforge.foundation.atomic import write_atomic

DECISIONS = ("ALLOW", "FLAG", "REVIEW", "BLOCK")


@dataclass
class Stats:
    """What the producer has seen so far; read by the display under ``lock``."""

    started: float = field(default_factory=time.perf_counter)
    sent: int = 0
    decisions: collections.Counter[str] = field(default_factory=collections.Counter)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    why: dict[str, str] = field(default_factory=dict)
    """The latest message of each kind of refusal, shown beside its count."""
    round_trip_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    recent: collections.deque[tuple[Transaction, ScoreResult]] = field(
        default_factory=lambda: collections.deque(maxlen=8)
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def scored(self, txn: Transaction, result: ScoreResult, took_ms: float) -> None:
        """Record one answer."""
        with self.lock:
            self.sent += 1
            self.decisions[result.decision] += 1
            self.round_trip_ms.append(took_ms)
            self.server_ms.append(result.processing_ms)
            self.recent.append((txn, result))

    def failed(self, error: str, message: str = "") -> None:
        """Record one payment that got no score: the kind of refusal and the service's words."""
        with self.lock:
            self.sent += 1
            self.errors[error] += 1
            if message:
                self.why[error] = message

    def summary(self) -> dict[str, Any]:
        """The figures so far: counts, rate and latency percentiles in milliseconds."""
        with self.lock:
            seconds = time.perf_counter() - self.started
            scored = sum(self.decisions.values())
            return {
                "sent": self.sent,
                "scored": scored,
                "errors": dict(self.errors),
                "decisions": {d: self.decisions[d] for d in DECISIONS},
                "seconds": round(seconds, 3),
                "per_second": round(self.sent / seconds, 1) if seconds > 0 else 0.0,
                "round_trip_ms": _percentiles(self.round_trip_ms),
                "server_ms": _percentiles(self.server_ms),
            }


def _percentiles(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None}
    p50, p95, p99 = np.percentile(np.asarray(values), [50, 95, 99])
    return {"p50": round(float(p50), 3), "p95": round(float(p95), 3), "p99": round(float(p99), 3)}


def produce(
    client: Client,
    txns: Sequence[Transaction],
    stats: Stats,
    *,
    deadline: float,
    rate: float,
    stop: threading.Event,
    period: int = 0,
) -> None:
    """Send ``txns`` one by one (at most ``rate`` a second when positive, each stamped as
    ``stamp`` does for replay ``period``) until done, the ``deadline`` (perf_counter) passes
    or ``stop`` is set."""
    for i, txn in enumerate(txns):
        due = stats.started + i / rate if rate > 0 else time.perf_counter()
        if stop.is_set() or due >= deadline:
            return
        time.sleep(max(0.0, due - time.perf_counter()))
        txn = stamp(txn, period)
        began = time.perf_counter()
        try:
            result = client.score(txn)
        except ServiceError as exc:
            kind = f"HTTP {exc.status}" + (f" ({exc.field})" if exc.field else "")
            stats.failed(kind, exc.error)
            continue
        except (ClientError, httpx.HTTPError) as exc:
            stats.failed(type(exc).__name__, str(exc))
            continue
        stats.scored(txn, result, (time.perf_counter() - began) * 1e3)


def view(stats: Stats) -> Group:
    """The live view: totals and latency, decisions with bars, the latest payments."""
    s = stats.summary()
    head = Table(title="fraudforge live", show_header=True, expand=False)
    columns = ("sent", "scored", "errors", "per second", "round trip p50/p95/p99 ms", "server p50")
    for col in columns:
        head.add_column(col, justify="right")
    rt, sv = s["round_trip_ms"], s["server_ms"]
    head.add_row(
        str(s["sent"]),
        str(s["scored"]),
        str(sum(s["errors"].values())),
        f"{s['per_second']:.1f}",
        "/".join("-" if rt[p] is None else f"{rt[p]:.2f}" for p in ("p50", "p95", "p99")),
        "-" if sv["p50"] is None else f"{sv['p50']:.3f}",
    )
    decisions = Table(title="decisions", show_header=False)
    decisions.add_column("decision")
    decisions.add_column("count", justify="right")
    decisions.add_column("share")
    total = max(s["scored"], 1)
    for d in DECISIONS:
        n = s["decisions"][d]
        decisions.add_row(d, str(n), "█" * round(30 * n / total))
    latest = Table(title="latest payments")
    for col in ("transaction", "amount INR", "decision", "probability", "top reason"):
        latest.add_column(col, justify="right" if col in ("amount INR", "probability") else "left")
    with stats.lock:
        recent = list(stats.recent)
    for txn, r in reversed(recent):
        reason = r.reasons[0].feature if r.reasons else "-"
        latest.add_row(
            str(txn.transaction_id),
            f"{txn.amount_inr:,.2f}",
            r.decision,
            f"{r.fraud_probability:.4f}",
            reason,
        )
    parts: list[Table] = [head, decisions, latest]
    if s["errors"]:
        refused = Table(title="refused payments")
        for col in ("kind", "count", "latest reason"):
            refused.add_column(col, justify="right" if col == "count" else "left")
        with stats.lock:
            why = dict(stats.why)
        for kind, n in sorted(s["errors"].items(), key=lambda kv: -kv[1]):
            refused.add_row(kind, str(n), why.get(kind, "-"))
        parts.append(refused)
    return Group(*parts)


def main(argv: list[str] | None = None) -> int:
    """Stream the dataset's next payments to the service and show the live view."""
    parser = service_options(
        __doc__.splitlines()[0], rows=5_000, rows_help="payments to send at most"
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds to run at most")
    parser.add_argument("--rate", type=float, default=0.0, help="payments/s (0: no limit)")
    parser.add_argument("--plain", action="store_true", help="progress lines, no live view")
    parser.add_argument("--summary-json", type=Path, help="write the final figures here")
    args = parser.parse_args(argv)
    if args.duration <= 0:
        parser.error(f"--duration {args.duration}: allowed is more than 0 seconds")
    txns = upcoming(args.data, args.rows, period=args.period)
    plain = args.plain or not Console().is_terminal
    console = Console(width=120) if plain else Console()
    stop = threading.Event()
    retry = RetryPolicy(attempts=3, base_s=0.05, cap_s=0.5)
    with Client(args.url, api_key=args.api_key, timeout=5.0, retry=retry) as client:
        client.wait_until_ready(timeout=30.0)
        stats = Stats()
        producer = threading.Thread(
            target=produce,
            args=(client, txns, stats),
            kwargs={
                "deadline": stats.started + args.duration,
                "rate": args.rate,
                "stop": stop,
                "period": args.period,
            },
            daemon=True,
        )
        producer.start()
        try:
            if plain:
                while producer.is_alive():
                    producer.join(1.0)
                    s = stats.summary()
                    print(
                        f"{s['seconds']:7.1f} s  sent {s['sent']}  scored {s['scored']}  "
                        f"errors {sum(s['errors'].values())}  round trip p50 "
                        f"{s['round_trip_ms']['p50']} ms",
                        flush=True,
                    )
            else:
                with Live(view(stats), console=console, refresh_per_second=4) as live:
                    while producer.is_alive():
                        producer.join(0.25)
                        live.update(view(stats))
        except KeyboardInterrupt:
            stop.set()
            producer.join()
    if plain:  # the live view already shows the final figures
        console.print(view(stats))
    if args.summary_json is not None:
        summary = msgspec.json.encode(stats.summary())
        write_atomic(args.summary_json, msgspec.json.format(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
