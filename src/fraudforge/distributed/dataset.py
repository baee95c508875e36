"""Generating a dataset on a Ray cluster: each Ray Data task writes whole part files.

Tasks receive the scenario's world (drawn once by the driver) and a range of shards, write
``transactions/part-N`` and ``customers/part-N`` straight into the staged output directory (a path
every node sees), and send back small metadata: file entries, per-shard row counts, label counts and
the 8-byte per-row hashes the manifest's row-order content hash folds. The driver folds them in
shard order with the local engine's ledger, so the dataset is the one ``fraudforge.generate`` writes
with ``chunk_shards=shards_per_task``, file for file, and has its content hash whatever the layout.
"""

from __future__ import annotations

import time
from pathlib import Path

import msgspec
import pyarrow as pa

from fraudforge.distributed.cluster import one_task_each, ray_cluster
from fraudforge.engine.dataset import (
    Format,
    Manifest,
    ProgressFn,
    ShardLedger,
    ShardRecord,
    check_options,
    chunks,
    finish_dataset,
    write_part_records,
)
from fraudforge.engine.memory import auto_chunk_shards
from fraudforge.engine.scenario import Scenario
from fraudforge.engine.shard import build_world
from fraudforge.engine.world import World
from fraudforge.foundation.atomic import check_target, staged_directory

_Records = list[tuple[int, ShardRecord]]


class _WritePart:
    """The task body: write one part file pair and report its shards."""

    def __init__(self, world: World, work: Path, fmt: str) -> None:
        self.world, self.work, self.fmt = world, work, fmt

    def __call__(self, batch: pa.Table) -> pa.Table:
        index, files, records = [], [], []
        for i, lo, hi in zip(*(batch[c].to_pylist() for c in ("index", "lo", "hi")), strict=True):
            entries, seen = write_part_records(self.world, self.work, self.fmt, i, range(lo, hi))
            index.append(i)
            files.append(msgspec.json.encode(entries))
            records.append(msgspec.msgpack.encode(seen))
        return pa.table({"index": index, "files": files, "records": records})


def generate(
    scenario: Scenario | None = None,
    out: str | Path = "fraudforge-data",
    *,
    format: Format = "parquet",
    overwrite: bool = False,
    shards_per_task: int | None = None,
    address: str | None = None,
    progress: ProgressFn | None = None,
) -> Manifest:
    """Generate a scenario's dataset into ``out`` on a Ray cluster and return its manifest.

    Each task writes one transactions file of ``shards_per_task`` shards (default: about 2M
    rows, the local default) and its customers file. ``out`` must be on storage every node
    mounts at the same path. ``address`` is as for ``ray.init`` (default: the cluster this
    process is connected to, else a new local one).
    """
    scenario = scenario or Scenario()
    check_options(format, shards_per_task, "shards_per_task")
    s = scenario.resolved()
    target = Path(out).absolute()
    check_target(target, overwrite, marker="manifest.json")
    started = time.perf_counter()
    per_task = shards_per_task or auto_chunk_shards(s)
    ranges = chunks(s.n_shards, per_task)
    items = [{"index": i, "lo": r.start, "hi": r.stop} for i, r in enumerate(ranges)]
    world = build_world(s)
    with ray_cluster(address) as ray, staged_directory(target) as work:
        (work / "transactions").mkdir()
        (work / "customers").mkdir()
        ledger = ShardLedger(s.n_shards, progress)
        parts = one_task_each(ray, items).map_batches(
            _WritePart(world, work, format), batch_size=1, batch_format="pyarrow", num_cpus=1
        )
        files: dict[int, list[dict[str, object]]] = {}
        for row in parts.iter_rows():
            for shard, record in msgspec.msgpack.decode(row["records"], type=_Records):
                ledger.add(shard, record)
            files[row["index"]] = msgspec.json.decode(row["files"])
        entries = [entry for i in sorted(files) for entry in files[i]]
        return finish_dataset(scenario, world, work, format, entries, ledger, started)
