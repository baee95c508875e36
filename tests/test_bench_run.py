"""``bench/run.py``, the runner behind ``make bench``: the first run only saves, a slower run
fails naming the benchmark and is kept out of the comparison, a run as fast as the reference
passes, and an empty threshold accepts a slowdown as the new reference."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pytest_benchmark.utils import get_machine_id

ROOT = Path(__file__).resolve().parents[1]
MACHINE = str(get_machine_id())  # type: ignore[no-untyped-call]
TINY = '''
import os
import time


def test_sleepy(benchmark):
    """Sleeps for DELAY seconds: a benchmark whose speed the test sets."""
    benchmark.pedantic(time.sleep, args=(float(os.environ["DELAY"]),), rounds=5, iterations=1)
'''


def _bench(work: Path, delay: float, fail: str = "median:50%") -> subprocess.CompletedProcess[str]:
    """``bench/run.py`` on the tiny benchmark file in ``work``, as the Makefile calls it."""
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--storage", "store", "--fail", fail,
         "bench_tiny.py", "-p", "no:cacheprovider"],
        cwd=work, env={**os.environ, "DELAY": str(delay)}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def _saved(work: Path, *under: str) -> list[str]:
    return sorted(p.name for p in (work / "store").joinpath(*under, MACHINE).glob("*"))


def test_regression_fails_by_name_and_leaves_the_reference(tmp_path: Path) -> None:
    """Save at 20 ms; 200 ms fails naming test_sleepy and its file moves to failed/; 20 ms
    again compares with the first run and passes; 200 ms with an empty threshold passes."""
    (tmp_path / "bench_tiny.py").write_text(TINY)

    first = _bench(tmp_path, 0.02)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "this run is saved as the first reference" in first.stdout
    assert "Comparing against benchmarks from" not in first.stdout
    (reference,) = _saved(tmp_path)
    assert reference.startswith("0001_")

    slow = _bench(tmp_path, 0.2)
    assert slow.returncode != 0
    assert f"comparing with the saved run {reference}, failing beyond median:50%" in slow.stdout
    assert "Performance has regressed" in slow.stdout  # pytest-benchmark's own report
    assert "bench: 1 regression(s)" in slow.stdout
    assert "bench: REGRESSED test_sleepy: median PercentageRegressionCheck" in slow.stdout
    assert _saved(tmp_path) == [reference]
    (failed,) = _saved(tmp_path, "failed")
    assert failed.startswith("0002_")

    same = _bench(tmp_path, 0.02)
    assert same.returncode == 0, same.stdout
    assert f"comparing with the saved run {reference}" in same.stdout
    assert f"Comparing against benchmarks from: {MACHINE}/{reference}" in same.stdout
    assert "REGRESSED" not in same.stdout
    assert len(_saved(tmp_path)) == 2

    accepted = _bench(tmp_path, 0.2, fail="")
    assert accepted.returncode == 0, accepted.stdout
    assert "(not failing: --fail is empty)" in accepted.stdout
    assert len(_saved(tmp_path)) == 3
