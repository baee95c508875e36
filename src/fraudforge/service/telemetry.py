"""Prometheus metrics written in the text exposition format (0.0.4): request counts and latency
histograms per route, decisions, rate-limited requests, and the model in use. Kept in plain
dicts updated on the event loop, so recording costs a few dictionary operations."""

from __future__ import annotations

import bisect
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS_S: tuple[float, ...] = (
    0.0001,
    0.00025,
    0.0005,
    0.00075,
    0.001,
    0.0015,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    1.0,
)
"""Upper bounds in seconds: fine below a few milliseconds, where this service answers."""

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Histogram:
    """Cumulative-bucket histogram of one series."""

    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS_S) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        """Count one observation."""
        self.counts[bisect.bisect_left(LATENCY_BUCKETS_S, value)] += 1
        self.sum += value


def _labels(**labels: str | int) -> str:
    inner = ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items())
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    """The service's counters and histograms."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], int] = {}
        self.latency: dict[tuple[str, str], Histogram] = {}
        self.decisions: dict[str, int] = {}
        self.scored = 0
        self.feedback = 0
        self.feedback_kinds: dict[str, int] = {}
        self.feedback_repeated = 0
        self.replayed = 0
        self.rate_limited = 0
        self.swaps = 0

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        """One finished request."""
        key = (method, route, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        h = self.latency.get((method, route))
        if h is None:
            h = self.latency[(method, route)] = Histogram()
        h.observe(seconds)

    def decided(self, decisions: Iterable[str]) -> None:
        """Count the decisions of scored transactions."""
        for d in decisions:
            self.decisions[d] = self.decisions.get(d, 0) + 1
            self.scored += 1

    def render(
        self,
        gauges: dict[str, tuple[str, dict[str, Any], float]],
        counters: dict[str, tuple[str, int]] | None = None,
    ) -> str:
        """The exposition text; ``gauges`` maps a metric name to (help, labels, value),
        ``counters`` (kept elsewhere, e.g. by the service state) a name to (help, value)."""
        out: list[str] = []

        def head(name: str, kind: str, text: str) -> None:
            out.append(f"# HELP {name} {text}")
            out.append(f"# TYPE {name} {kind}")

        head("fraudforge_http_requests_total", "counter", "HTTP requests by route and status.")
        for (method, route, status), n in sorted(self.requests.items()):
            labels = _labels(method=method, route=route, status=status)
            out.append(f"fraudforge_http_requests_total{labels} {n}")
        name = "fraudforge_http_request_duration_seconds"
        head(name, "histogram", "Time from request start to response start.")
        for (method, route), h in sorted(self.latency.items()):
            running = 0
            bound: float
            for bound, count in zip((*LATENCY_BUCKETS_S, float("inf")), h.counts, strict=True):
                running += count
                le = "+Inf" if bound == float("inf") else repr(bound)
                out.append(f"{name}_bucket{_labels(method=method, route=route, le=le)} {running}")
            out.append(f"{name}_sum{_labels(method=method, route=route)} {h.sum!r}")
            out.append(f"{name}_count{_labels(method=method, route=route)} {running}")
        head("fraudforge_decisions_total", "counter", "Scored transactions by decision.")
        for decision, n in sorted(self.decisions.items()):
            out.append(f"fraudforge_decisions_total{_labels(decision=decision)} {n}")
        own: tuple[tuple[str, str, int], ...] = (
            ("fraudforge_scored_total", "Transactions scored.", self.scored),
            ("fraudforge_feedback_total", "Feedback labels accepted.", self.feedback),
            (
                "fraudforge_feedback_repeated_total",
                "Feedback already recorded (same transaction and kind), not counted again.",
                self.feedback_repeated,
            ),
            (
                "fraudforge_replayed_total",
                "Transactions sent again and answered from the idempotency window.",
                self.replayed,
            ),
            ("fraudforge_rate_limited_total", "Requests refused with 429.", self.rate_limited),
            ("fraudforge_model_swaps_total", "Models loaded by the admin API.", self.swaps),
            *((name, text, n) for name, (text, n) in (counters or {}).items()),
        )
        for metric, text, count in own:
            head(metric, "counter", text)
            out.append(f"{metric} {count}")
        name = "fraudforge_feedback_kind_total"
        head(name, "counter", "Feedback labels accepted, by kind.")
        for kind, n in sorted(self.feedback_kinds.items()):
            out.append(f"{name}{_labels(kind=kind)} {n}")
        for metric, (text, gauge_labels, value) in gauges.items():
            head(metric, "gauge", text)
            out.append(f"{metric}{_labels(**gauge_labels) if gauge_labels else ''} {value!r}")
        return "\n".join(out) + "\n"


class MetricsMiddleware:
    """Raw ASGI wrapper timing every HTTP request (matched or not) by its route template."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw: dict[str, Any] = scope  # type: ignore[assignment]
        if raw["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = self.clock()
        metrics = self.metrics

        def timed(message: Message) -> Awaitable[None]:
            # a plain function handing back send's awaitable: no coroutine of its own per send
            if message["type"] == "http.response.start":
                route = raw.get("path_template") or "unmatched"
                metrics.record(raw["method"], route, message["status"], self.clock() - began)
            return send(message)

        await self.app(scope, receive, timed)


__all__ = ["CONTENT_TYPE", "LATENCY_BUCKETS_S", "Histogram", "Metrics", "MetricsMiddleware"]
