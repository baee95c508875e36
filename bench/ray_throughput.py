"""Throughput of the Ray backend against the local one, in the same process and run: for each
row count, generate and compute features with both backends, alternating, and report the median
wall time and rows/s per core. Usage:
``python bench/ray_throughput.py ROWS [ROWS ...] --cpus N [--repeats R] [--file-rows F]``
(one local Ray cluster of N CPUs; the local backend gets N threads)."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fraudforge import distributed
from fraudforge.engine.dataset import generate, read_manifest
from fraudforge.engine.memory import auto_chunk_shards
from fraudforge.engine.scenario import Scenario
from fraudforge.features.pipeline import build_features


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def measure(
    rows: int, cpus: int, repeats: int, file_rows: int, root: Path
) -> list[dict[str, object]]:
    """Median seconds of each (backend, stage) over ``repeats`` runs after one warm-up."""
    scenario = Scenario(target_rows=rows, seed=7)
    chunk = auto_chunk_shards(scenario.resolved(), rows_per_file=file_rows)
    runs: dict[tuple[str, str], list[float]] = {}
    data = root / "data-local"
    steps: dict[tuple[str, str], Callable[[], object]] = {
        ("local", "generate"): lambda: generate(
            scenario, data, threads=cpus, chunk_shards=chunk, overwrite=True
        ),
        ("ray", "generate"): lambda: distributed.generate(
            scenario, root / "data-ray", shards_per_task=chunk, overwrite=True
        ),
        ("local", "features"): lambda: build_features(
            data, root / "f-local", threads=cpus, overwrite=True
        ),
        ("ray", "features"): lambda: distributed.build_features(
            data, root / "f-ray", overwrite=True
        ),
    }
    for repeat in range(repeats + 1):
        for key, step in steps.items():
            seconds = _timed(step)
            if repeat:
                runs.setdefault(key, []).append(seconds)
    made = read_manifest(data).rows["transactions"]
    out: list[dict[str, object]] = []
    for (backend, stage), times in runs.items():
        median = statistics.median(times)
        out.append(
            {
                "rows": made,
                "cpus": cpus,
                "backend": backend,
                "stage": stage,
                "files": -(-scenario.resolved().n_shards // chunk),
                "median_s": round(median, 3),
                "runs_s": [round(t, 3) for t in times],
                "rows_per_s_per_core": round(made / median / cpus),
            }
        )
    return out


def main() -> None:
    """Print one JSON line per (rows, backend, stage)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rows", type=int, nargs="+")
    parser.add_argument("--cpus", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--file-rows", type=int, default=250_000, help="rows per part file/task")
    args = parser.parse_args()
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    root = Path(tempfile.mkdtemp(prefix="fraudforge-ray-bench-"))
    try:
        with distributed.ray_cluster(num_cpus=args.cpus):
            for rows in args.rows:
                for line in measure(rows, args.cpus, args.repeats, args.file_rows, root):
                    print(json.dumps(line), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
