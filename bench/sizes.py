"""Benchmark sizes and statistics shared by the suites.

Full size by default. ``pytest bench --benchmark-disable --smoke`` (or ``FRAUDFORGE_BENCH_SMOKE=1``)
runs every benchmark body once on small inputs: a quick test that the suite works (the smoke run
of ``tests/test_bench_smoke.py``), never a measurement. With ``--benchmark-disable``
pytest-benchmark keeps no statistics, so anything derived from timings (rates, percentiles) is
recorded only when there are some (``median_s``, ``timings_s``).
"""

from __future__ import annotations

import os
from typing import Any

ENV = "FRAUDFORGE_BENCH_SMOKE"
"""Set (to anything but ``0``) by ``--smoke``: every size below is the small one."""


def smoke() -> bool:
    """Whether this is a smoke run (small sizes)."""
    return os.environ.get(ENV, "") not in ("", "0")


def size(full: int, small: int) -> int:
    """``full``, or ``small`` in a smoke run."""
    return small if smoke() else full


def near(value: int, target: int, *, within: float = 0.1) -> bool:
    """``value`` is within ``within`` of ``target`` (three times as loose in a smoke run, where
    a few customers more or less weigh more)."""
    tolerance = within * (3 if smoke() else 1)
    return abs(value - target) <= tolerance * target


def at_least(value: int, target: int) -> bool:
    """``value`` reaches 95% of ``target`` rows (75% in a smoke run: the volume model sizes a
    small scenario less precisely)."""
    return value >= (0.75 if smoke() else 0.95) * target


def timings_s(benchmark: Any) -> list[float] | None:
    """Every round's time in seconds, or None when benchmarks are disabled (no statistics)."""
    stats = benchmark.stats
    return None if stats is None else [float(t) for t in stats.stats.data]


def median_s(benchmark: Any) -> float | None:
    """The median round time in seconds, or None when benchmarks are disabled."""
    stats = benchmark.stats
    return None if stats is None else float(stats.stats.median)


def record_rate(benchmark: Any, key: str, count: int) -> None:
    """``extra_info[key]`` = ``count`` per second of the median round, when measured."""
    median = median_s(benchmark)
    if median is not None:
        benchmark.extra_info[key] = round(count / median)
