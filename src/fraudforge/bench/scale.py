"""Scale runs: generation and features at growing row counts, each point in a fresh process.

A point is one stage (``generate`` or ``features``) at one size, worker count, shard size and
shards per file. Its process is restricted to ``workers`` cores (``sched_setaffinity``) and runs
``workers`` generation threads and Polars threads, so one worker is one core's worth of compute
and the speedup of two workers over one is strong scaling on this machine. Wall time, CPU time
(user + system, helpers included) and peak RSS come from the child and from ``wait4``; the load
average is recorded before and after, because the machine may be shared.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from fraudforge.foundation.errors import ConfigError

STAGES: tuple[str, ...] = ("generate", "features")
DEFAULT_ROWS: tuple[int, ...] = (10_000, 100_000, 1_000_000, 10_000_000)
QUICK_ROWS: tuple[int, ...] = (10_000, 100_000)
LARGE_ROWS = 100_000_000
MIB = 1024.0**2
ProgressFn = Callable[[int, int, str], None]
"""Called before each point with (points done, points in all, what runs next)."""


class ScaleConfig(msgspec.Struct, kw_only=True, frozen=True):
    """What a scale run sweeps: every combination of rows, workers, shard sizes and shards per
    file (``None``: automatic), ``repeat`` times, for each stage."""

    rows: tuple[int, ...] = DEFAULT_ROWS
    workers: tuple[int, ...] = (1, 2)
    shard_sizes: tuple[int, ...] = (512,)
    chunk_shards: tuple[int | None, ...] = (None,)
    stages: tuple[str, ...] = STAGES
    repeat: int = 1
    seed: int = 7
    memory_limit: int | None = None
    """Bytes, passed to each stage (see ``fraudforge.foundation.runtime``)."""

    def __post_init__(self) -> None:
        cores = len(usable_cores())
        checks: list[tuple[bool, str, object, str]] = [
            (bool(self.rows) and all(r >= 1 for r in self.rows), "rows", self.rows, "sizes >= 1"),
            (
                bool(self.workers) and all(1 <= w <= cores for w in self.workers),
                "workers",
                self.workers,
                f"counts from 1 to {cores} (this machine's usable cores)",
            ),
            (
                bool(self.shard_sizes) and all(64 <= s <= 1_000_000 for s in self.shard_sizes),
                "shard_sizes",
                self.shard_sizes,
                "sizes from 64 to 1,000,000 customers",
            ),
            (
                bool(self.chunk_shards) and all(c is None or c >= 1 for c in self.chunk_shards),
                "chunk_shards",
                self.chunk_shards,
                "counts >= 1 or auto",
            ),
            (
                bool(self.stages) and all(s in STAGES for s in self.stages),
                "stages",
                self.stages,
                f"some of {', '.join(STAGES)}",
            ),
            (self.repeat >= 1, "repeat", self.repeat, "at least 1"),
        ]
        for ok, name, value, allowed in checks:
            if not ok:
                raise ConfigError(f"invalid scale run `{name}` = {value!r}: allowed are {allowed}")


class Point(msgspec.Struct, kw_only=True):
    """One measured run of one stage in a fresh process."""

    stage: str
    target_rows: int
    rows: int
    workers: int
    cores: list[int]
    shard_size: int
    chunk_shards: int | None
    files: int
    round: int
    seconds: float
    """Wall time of the stage call inside the process (imports and start-up excluded)."""
    process_wall_s: float
    rows_per_s: float
    cpu_s: float
    """CPU time of the stage call, user + system, all threads and helper processes."""
    process_cpu_s: float
    """CPU time of the whole process tree, from ``wait4``."""
    peak_rss_mib: float
    """Peak RSS of the process plus, with helper processes, each helper's peak (an upper bound
    of the tree's simultaneous peak)."""
    main_rss_mib: float
    helper_rss_mib: float
    load_before: list[float]
    load_after: list[float]


def usable_cores() -> list[int]:
    """The cores this process may run on, in order."""
    return sorted(os.sched_getaffinity(0))


def machine() -> dict[str, Any]:
    """What the numbers were measured on: cores, CPU model, memory, software versions."""
    import numpy as np
    import polars as pl

    from fraudforge.foundation.machine import physical_memory

    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu_model": model or platform.processor(),
        "cpus": os.cpu_count(),
        "usable_cores": usable_cores(),
        "memory_gib": round(physical_memory() / 1024**3, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "polars": pl.__version__,
        "numpy": np.__version__,
    }


def _child_env(workers: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAUDFORGE_")}
    for name in ("POLARS_MAX_THREADS", "NUMBA_NUM_THREADS", "OMP_NUM_THREADS"):
        env[name] = str(workers)
    return env


def measure(spec: dict[str, Any], round_: int = 0) -> Point:
    """Run one stage in a fresh interpreter pinned to ``spec["cores"]``: the child's own
    measurements, plus the process's wall time, CPU time and peak RSS from ``wait4``."""
    load_before = list(os.getloadavg())
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fraudforge.bench._child", json.dumps(spec)],
            stdout=out,
            stderr=err,
            env=_child_env(int(spec["workers"])),
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    if proc.returncode != 0:
        tail = " | ".join(stderr.strip().splitlines()[-4:])
        raise RuntimeError(
            f"{spec['stage']} of {spec['rows']:,} rows with {spec['workers']} worker(s) failed "
            f"(exit code {proc.returncode}): {tail}"
        )
    r = json.loads(stdout.strip().splitlines()[-1])
    helpers = max(0, int(spec["workers"]) - 1) if r["helper_rss_kib"] else 0
    main_mib, helper_mib = r["main_rss_kib"] / 1024, r["helper_rss_kib"] / 1024
    return Point(
        stage=str(spec["stage"]),
        target_rows=int(spec["rows"]),
        rows=int(r["rows"]),
        workers=int(spec["workers"]),
        cores=list(spec["cores"]),
        shard_size=int(spec["shard_size"]),
        chunk_shards=spec["chunk_shards"],
        files=int(r["files"]),
        round=round_,
        seconds=round(r["seconds"], 4),
        process_wall_s=round(wall, 4),
        rows_per_s=round(r["rows"] / max(r["seconds"], 1e-9), 1),
        cpu_s=round(r["stage_cpu_s"] + r["helper_cpu_s"], 3),
        process_cpu_s=round(usage.ru_utime + usage.ru_stime, 3),
        peak_rss_mib=round(main_mib + helpers * helper_mib, 1),
        main_rss_mib=round(main_mib, 1),
        helper_rss_mib=round(helper_mib, 1),
        load_before=[round(x, 2) for x in load_before],
        load_after=[round(x, 2) for x in os.getloadavg()],
    )


def _plan(config: ScaleConfig) -> Iterator[tuple[int, int, int, int | None]]:
    """(round, rows, shard size, shards per file) in run order, sizes ascending; the worker
    counts of one entry run back to back, so a comparison shares the machine's state."""
    for rows in sorted(config.rows):
        for shard_size in config.shard_sizes:
            for chunk in config.chunk_shards:
                for round_ in range(config.repeat):
                    yield round_, rows, shard_size, chunk


def total_points(config: ScaleConfig) -> int:
    """How many measured points a run has."""
    return sum(1 for _ in _plan(config)) * len(config.workers) * len(config.stages)


WARMUP_ROWS = 10_000
"""Size of the unrecorded warm-up run of each stage and worker count."""


def sweep(
    config: ScaleConfig,
    *,
    scratch: str | Path | None = None,
    progress: ProgressFn | None = None,
    warmup: bool = True,
) -> list[Point]:
    """Measure every point of ``config``; datasets go to a temporary directory under
    ``scratch`` (default: the system's) and are removed once measured.

    For each size, generation runs with each worker count, then features run with each worker
    count on the dataset the first worker count wrote (so they read the same files). With
    ``warmup``, a small unrecorded run of each stage and worker count comes first, so that no
    point pays for compiling the feature kernels.
    """
    cores = usable_cores()
    points: list[Point] = []
    total = total_points(config)
    say = progress or (lambda _done, _total, _what: None)
    root = Path(tempfile.mkdtemp(prefix="fraudforge-scale-", dir=scratch))
    plan = list(_plan(config))
    if warmup:
        plan = [(-1, WARMUP_ROWS, config.shard_sizes[0], None), *plan]
    try:
        for round_, rows, shard_size, chunk in plan:
            say(len(points), total, "warm-up" if round_ < 0 else f"{rows:,} rows")
            base = {
                "rows": rows,
                "seed": config.seed,
                "shard_size": shard_size,
                "chunk_shards": chunk,
                "memory_limit": config.memory_limit,
                "out": str(root / "features"),
            }
            first = root / f"data-{config.workers[0]}"
            for workers in config.workers:
                data = root / f"data-{workers}"
                spec = {**base, "workers": workers, "cores": cores[:workers], "data": str(data)}
                say(len(points), total, f"generate {rows:,} rows, {workers} worker(s)")
                point = measure({**spec, "stage": "generate"}, round_)
                if round_ >= 0 and "generate" in config.stages:
                    points.append(point)
                if data != first:
                    shutil.rmtree(data, ignore_errors=True)
            for workers in config.workers if "features" in config.stages else ():
                spec = {**base, "workers": workers, "cores": cores[:workers], "data": str(first)}
                say(len(points), total, f"features {rows:,} rows, {workers} worker(s)")
                point = measure({**spec, "stage": "features"}, round_)
                if round_ >= 0:
                    points.append(point)
                shutil.rmtree(root / "features", ignore_errors=True)
            shutil.rmtree(first, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    say(len(points), total, "done")
    return points


def parse_counts(text: str, name: str, *, allow_auto: bool = False) -> tuple[Any, ...]:
    """A comma-separated list of counts (``10K``, ``1M`` and ``auto`` where allowed)."""
    values: list[int | None] = []
    for raw in (part.strip() for part in text.split(",")):
        if allow_auto and raw.lower() == "auto":
            values.append(None)
            continue
        scale = {"k": 1_000, "m": 1_000_000}.get(raw[-1:].lower(), 1)
        digits = raw[:-1] if scale > 1 else raw
        try:
            values.append(int(float(digits.replace("_", "")) * scale))
        except ValueError:
            extra = ", or auto" if allow_auto else ""
            raise ConfigError(
                f"--{name} {text!r}: allowed is a comma-separated list of counts "
                f"such as 10K,1M,10000000{extra}"
            ) from None
    return tuple(values)


__all__ = [
    "DEFAULT_ROWS",
    "LARGE_ROWS",
    "QUICK_ROWS",
    "STAGES",
    "Point",
    "ScaleConfig",
    "machine",
    "measure",
    "parse_counts",
    "sweep",
    "total_points",
    "usable_cores",
]
