"""One measured point, run as ``python -m fraudforge.bench._child SPEC_JSON`` in a fresh process.

The process restricts itself to the spec's cores before anything else is imported (so no library
starts a thread pool sized for the whole machine), runs one stage and prints one JSON line with
the stage's own wall and CPU time, its own peak RSS and that of its largest helper process
(generation's workers); the parent adds what ``wait4`` reports for the whole process.
"""

from __future__ import annotations

import json
import os
import sys


def _peak_rss_kib(fallback: int) -> int:
    """This process's peak RSS in KiB: ``VmHWM``, the high-water mark of its own memory since
    ``exec``. (``ru_maxrss`` would also count the parent's pages at ``fork``, so a child of a large
    process would report the parent's size.)"""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return fallback


def _import_stage(stage: str) -> None:
    """Import the stage's modules before the clock starts (and only those: a generation process
    does not load the feature kernels)."""
    if stage == "generate":
        import fraudforge.engine.dataset
    else:
        import fraudforge.features.pipeline  # noqa: F401


def _measure(spec: dict[str, object]) -> dict[str, object]:
    import resource
    import time

    workers = int(str(spec["workers"]))
    limit = spec.get("memory_limit")
    memory_limit = None if limit is None else int(str(limit))
    chunk = spec.get("chunk_shards")
    _import_stage(str(spec["stage"]))
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    if spec["stage"] == "generate":
        from fraudforge.engine.dataset import generate
        from fraudforge.engine.scenario import Scenario

        scenario = Scenario(
            target_rows=int(str(spec["rows"])),
            seed=int(str(spec["seed"])),
            shard_size=int(str(spec["shard_size"])),
        )
        manifest = generate(
            scenario,
            str(spec["data"]),
            threads=workers,
            chunk_shards=None if chunk is None else int(str(chunk)),
            memory_limit=memory_limit,
        )
        rows = manifest.rows["transactions"]
        files = sum(f["path"].startswith("transactions/") for f in manifest.files)
    else:
        from fraudforge.features.pipeline import build_features

        features = build_features(
            str(spec["data"]), str(spec["out"]), threads=workers, memory_limit=memory_limit
        )
        rows, files = features.rows, len(features.files)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "rows": rows,
        "files": files,
        "seconds": seconds,
        "stage_cpu_s": cpu,
        "main_rss_kib": _peak_rss_kib(after.ru_maxrss),
        "helper_rss_kib": helpers.ru_maxrss,
        "helper_cpu_s": helpers.ru_utime + helpers.ru_stime,
    }


def main() -> None:
    """Pin to the spec's cores, measure, print the result as the last line of stdout."""
    spec = json.loads(sys.argv[1])
    os.sched_setaffinity(0, [int(c) for c in spec["cores"]])
    print(json.dumps(_measure(spec)), flush=True)


if __name__ == "__main__":
    main()
