"""Whole commands, as a user times them: ``fraudforge generate`` and ``fraudforge features`` on
1M rows and the imports a features process pays, each a fresh process (interpreter start,
imports, loading the cached kernels, reading and writing included), beside the floor measured in
the same run: a process writing 1M rows of 25 random columns to Parquet (``bench/floor.py``).
Each command records its median's ratio to the floor's in ``extra_info`` (``x_floor``) and,
from one more untimed run, its peak RSS (``peak_rss_mib``, ``_peak_rss_mib``), and ``make
bench`` fails when a command's median regresses. Run with ``make bench``."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sizes import median_s, size, smoke

ROWS = size(1_000_000, 20_000)
BENCH = Path(__file__).resolve().parent
ROUNDS = 1 if smoke() else 5
WARMUP = 0 if smoke() else 1


def _run(*args: str) -> None:
    """Run ``python args...`` as a process in this environment; fail with its stderr."""
    done = subprocess.run(
        [sys.executable, *args], env=os.environ.copy(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]


def _fraudforge(*args: str) -> None:
    _run("-m", "fraudforge.cli", *args)


_PEAK = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execv(sys.argv[1], sys.argv[1:])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "print(usage.ru_maxrss)\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)
"""Run a command as a child and print its ``ru_maxrss`` (kilobytes). Linux counts in a child's
peak the memory of the process it was forked from (the mapping it had until ``exec``), so the
command is started from this small interpreter, not from pytest's (about 100 MiB)."""


def _peak_rss_mib(*args: str) -> float:
    """Peak RSS of ``python args...`` in MiB, from one more run, untimed: the largest process
    of the command, helpers it waited for included."""
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, sys.executable, *args],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return round(int(done.stdout.split()[-1]) / 1024, 1)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset of about ``ROWS`` rows (seed 1), and one unrecorded features run on it so the
    feature kernels are compiled and cached before any timed round."""
    root = tmp_path_factory.mktemp("commands")
    _fraudforge("generate", "--rows", str(ROWS), "--seed", "1", "--out", str(root / "d"), "--quiet")
    _fraudforge("features", "--in", str(root / "d"), "--out", str(root / "f"), "--quiet")
    return root / "d"


@pytest.fixture(scope="module")
def floor(tmp_path_factory: pytest.TempPathFactory) -> list[float]:
    """The floor's process times, collected by ``test_floor_process`` (run first)."""
    return []


def _record(benchmark: Any, floor: list[float], *args: str) -> None:
    """The command's median over the floor's, when both were measured, and the peak RSS of
    ``python args...`` (the command)."""
    median = median_s(benchmark)
    benchmark.extra_info["rows"] = ROWS
    benchmark.extra_info["peak_rss_mib"] = _peak_rss_mib(*args)
    if median is not None and floor:
        benchmark.extra_info["floor_s"] = round(statistics.median(floor), 4)
        benchmark.extra_info["x_floor"] = round(median / statistics.median(floor), 3)


def test_floor_process(benchmark: Any, floor: list[float], tmp_path: Path) -> None:
    """Same-run floor: a process writing ``ROWS`` x 25 random columns to Parquet."""
    target = str(tmp_path / "floor.parquet")
    benchmark.pedantic(
        _run, args=(str(BENCH / "floor.py"), target, str(ROWS)), rounds=ROUNDS, iterations=1
    )
    median = median_s(benchmark)
    if median is not None:
        floor.append(median)
    benchmark.extra_info["rows"] = ROWS
    benchmark.extra_info["peak_rss_mib"] = _peak_rss_mib(str(BENCH / "floor.py"), target, str(ROWS))


def test_generate_command(benchmark: Any, floor: list[float], tmp_path: Path) -> None:
    """``fraudforge generate --rows 1000000`` as a process (budget: within 2x the floor)."""
    out = str(tmp_path / "d")
    args = ("generate", "--rows", str(ROWS), "--seed", "1", "--out", out, "--overwrite", "--quiet")
    benchmark.pedantic(_fraudforge, args=args, rounds=ROUNDS, iterations=1, warmup_rounds=WARMUP)
    _record(benchmark, floor, "-m", "fraudforge.cli", *args)


def test_features_command(
    benchmark: Any, floor: list[float], dataset: Path, tmp_path: Path
) -> None:
    """``fraudforge features`` on the 1M-row dataset as a process (budget: within 3x the
    floor)."""
    out = str(tmp_path / "f")
    args = ("features", "--in", str(dataset), "--out", out, "--overwrite", "--quiet")
    benchmark.pedantic(_fraudforge, args=args, rounds=ROUNDS, iterations=1)
    _record(benchmark, floor, "-m", "fraudforge.cli", *args)


@pytest.mark.parametrize(
    "module", ["fraudforge.features", "fraudforge.features.pipeline", "fraudforge.client"]
)
def test_import_process(benchmark: Any, floor: list[float], module: str) -> None:
    """``python -c "import MODULE"`` as a process: the package (budget: under 0.5 s), the
    pipeline a features process loads (Numba and the kernels' modules) and the HTTP client
    (budget: under 0.3 s; it needs only the wire types and httpx)."""
    benchmark.pedantic(_run, args=("-c", f"import {module}"), rounds=ROUNDS, iterations=1)
    _record(benchmark, floor, "-c", f"import {module}")
