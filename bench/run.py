"""Run pytest-benchmark suites, save the run and fail on a regression against the previous saved
run: what ``make bench`` and ``make bench-quick`` call.

Usage: ``python bench/run.py --storage DIR [--fail median:40%] [pytest arguments...]``.

The run is saved under ``DIR`` (``--benchmark-autosave``). When ``DIR`` already holds a saved
run for this machine (pytest-benchmark files runs by platform and Python version), the run is
compared with the newest one (``--benchmark-compare``) and fails when a benchmark's statistic
is worse by more than ``--fail`` (``--benchmark-compare-fail``); the first run only saves. A run
that fails (a regression or a failing benchmark) is moved to ``DIR/failed/``, so the next run
still compares with the last run that passed. An empty ``--fail`` compares without failing,
which is how a deliberate slowdown becomes the new reference.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_benchmark.utils import get_machine_id

FAILED = "failed"
"""Subdirectory of the storage that failing runs are moved to, out of the comparison."""
_REGRESSED = re.compile(r"^\s+(.+?) \(\d{4}_.*?\) - Field '(\w+)' has failed (.*)$")


def machine_id() -> str:
    """pytest-benchmark's folder for this platform and Python version (runs are filed by it)."""
    return str(get_machine_id())  # type: ignore[no-untyped-call]


def saved_runs(storage: Path) -> list[Path]:
    """The runs saved in ``storage`` for this machine, oldest first (pytest-benchmark numbers
    them ``0001_...json``, ``0002_...json``, ...)."""
    return sorted((storage / machine_id()).glob("[0-9][0-9][0-9][0-9]_*.json"))


def pytest_command(storage: Path, fail: str, args: Sequence[str]) -> list[str]:
    """The pytest command line: save into ``storage``; compare with its newest run (failing
    beyond ``fail`` unless empty) only when there is one."""
    cmd = [
        sys.executable, "-m", "pytest", *args, "--benchmark-only", "--benchmark-autosave",
        f"--benchmark-storage=file://{storage.resolve()}",
        "--benchmark-columns=min,median,max,rounds",
    ]  # fmt: skip
    if saved_runs(storage):
        cmd.append("--benchmark-compare")
        if fail:
            cmd.append(f"--benchmark-compare-fail={fail}")
    return cmd


def regressions(output: str) -> list[tuple[str, str, str]]:
    """(benchmark, statistic, check) for each regression pytest-benchmark reported."""
    found = [_REGRESSED.match(line) for line in output.splitlines()]
    return [(m[1], m[2], m[3]) for m in found if m is not None]


def run(storage: Path, fail: str, args: Sequence[str]) -> int:
    """Run the benchmarks in a pytest subprocess, echoing its output; returns its exit code
    after moving a failing run's saved file to ``storage/failed/``."""
    before = set(saved_runs(storage))
    reference = max(before) if before else None
    if reference is None:
        print(f"bench: no saved run in {storage}: this run is saved as the first reference")
    else:
        against = f", failing beyond {fail}" if fail else " (not failing: --fail is empty)"
        print(f"bench: comparing with the saved run {reference.name}{against}")
    proc = subprocess.Popen(
        pytest_command(storage, fail, args),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
    )  # fmt: skip
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    code = proc.wait()
    new = sorted(set(saved_runs(storage)) - before)
    if code != 0:
        moved = storage / FAILED / machine_id()
        moved.mkdir(parents=True, exist_ok=True)
        for path in new:
            shutil.move(path, moved / path.name)
        found = regressions("".join(lines))
        if found and reference is not None:
            print(f"bench: {len(found)} regression(s) against {reference.name}:")
            for name, stat, check in found:
                print(f"bench: REGRESSED {name}: {stat} {check}")
        kept = ", ".join(p.name for p in new) or "nothing"
        print(f"bench: failed (exit {code}); moved {kept} to {moved}")
    elif new:
        print(f"bench: saved {', '.join(p.name for p in new)} in {storage}")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options (everything after them goes to pytest) and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("--storage", type=Path, required=True, help="where runs are saved")
    parser.add_argument(
        "--fail",
        default="median:40%",
        help="pytest-benchmark's --benchmark-compare-fail expression (empty: compare only)",
    )
    options, pytest_args = parser.parse_known_args(argv)
    return run(options.storage, options.fail, pytest_args)


if __name__ == "__main__":
    sys.exit(main())
