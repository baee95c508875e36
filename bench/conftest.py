"""The bench suites' ``--smoke`` option: every benchmark body once, on small inputs (see
``sizes.py``)."""

from __future__ import annotations

import os

import pytest

from sizes import ENV, smoke


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--smoke``."""
    parser.addoption(
        "--smoke",
        action="store_true",
        help="run the benchmarks on small inputs, as a quick test of the suite (use with "
        "--benchmark-disable; results are not measurements and cannot be saved)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Under ``--smoke``, set the environment variable the sizes read (before the benchmark
    modules are collected); in a smoke run, let OpenMP threads sleep when idle and refuse to
    save or compare timings of small inputs."""
    if config.getoption("--smoke", default=False):
        os.environ[ENV] = "1"
    if not smoke():
        return
    # Idle OpenMP threads sleep instead of spinning (read when LightGBM loads, at collection):
    # on a shared CI machine spinning workers slow small fits many times over.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    saving = [
        flag
        for flag, option in (
            ("--benchmark-autosave", "benchmark_autosave"),
            ("--benchmark-save", "benchmark_save"),
            ("--benchmark-compare", "benchmark_compare"),
            ("--benchmark-json", "benchmark_json"),
        )
        if config.getoption(option, default=None)
    ]
    if saving:
        raise pytest.UsageError(
            f"--smoke runs the benchmarks on small inputs: their timings are not measurements; "
            f"drop {', '.join(saving)} (or --smoke and {ENV})"
        )
