"""Writing a scenario to a dataset directory, atomically, with its manifest.

Layout::

    OUT/
      transactions/part-00000.parquet ...   (or .arrow: Arrow IPC files)
      customers/part-00000.parquet ...      (the customers of the same shards)
      merchants.parquet
      manifest.json

The dataset is written into a hidden sibling directory and renamed into place when complete, so
an interrupted run never leaves a partial dataset where a complete one is expected.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import msgspec
import polars as pl

from fraudforge.engine._workers import PartWorker, take_helpers
from fraudforge.engine.errors import SchemaVersionError
from fraudforge.engine.memory import GenerationPlan, plan_generation
from fraudforge.engine.scenario import Scenario
from fraudforge.engine.schema import (
    READABLE_VERSIONS,
    SCHEMA_VERSION,
    SESSION_COLUMNS,
    TRANSACTIONS,
    polars_schema,
)
from fraudforge.engine.shard import build_world, shard_tables
from fraudforge.engine.streaming import shard_source
from fraudforge.engine.world import World
from fraudforge.foundation.atomic import check_target, staged_directory
from fraudforge.foundation.errors import ConfigError
from fraudforge.foundation.hashing import sha256_file
from fraudforge.foundation.package import package_version

Format = Literal["parquet", "ipc"]
FORMATS: tuple[str, ...] = ("parquet", "ipc")
SUFFIX = {"parquet": ".parquet", "ipc": ".arrow"}
TABLES: tuple[str, ...] = ("transactions", "customers", "merchants")
ProgressFn = Callable[[int, int, int], None]
"""Called after each shard with (shards done, shards in all, rows so far)."""


class Manifest(msgspec.Struct, kw_only=True):
    """What a dataset directory holds (``manifest.json``)."""

    schema_version: int
    fraudforge_version: str
    scenario: dict[str, Any]
    resolved: dict[str, Any]
    format: str
    rows: dict[str, int]
    fraud_counts: dict[str, int]
    anomaly_counts: dict[str, int]
    files: list[dict[str, Any]]
    content_hash: str
    seconds: float


class ContentHasher:
    """Order-sensitive hash of table contents, independent of how rows are split into frames."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self.rows = 0

    @staticmethod
    def row_hashes(df: pl.DataFrame) -> bytes:
        """Per-row 64-bit hashes of a frame, as bytes."""
        return df.hash_rows(seed=0).to_numpy().tobytes() if df.height else b""

    def update(self, df: pl.DataFrame) -> None:
        """Add a frame's rows (in order)."""
        self.update_hashes(self.row_hashes(df))

    def update_hashes(self, row_hashes: bytes) -> None:
        """Add rows by their per-row hashes (in order)."""
        self._h.update(row_hashes)
        self.rows += len(row_hashes) // 8

    def hexdigest(self) -> str:
        """The hash so far, prefixed with the row count."""
        return f"{self.rows}:{self._h.hexdigest()}"


def generate(
    scenario: Scenario | None = None,
    out: str | Path = "fraudforge-data",
    *,
    format: Format = "parquet",
    overwrite: bool = False,
    threads: int | None = None,
    chunk_shards: int | None = None,
    memory_limit: int | None = None,
    progress: ProgressFn | None = None,
) -> Manifest:
    """Generate a scenario's dataset into directory ``out`` and return its manifest.

    ``threads`` workers (default: one per core) write part files side by side: this process
    and ``threads - 1`` helper processes, each generating and encoding whole files, so no worker
    waits for another's GIL. ``chunk_shards`` shards go into each transactions file (default:
    about 2M rows a file; with several workers, up to four files per worker, of at least 250K
    rows each).
    ``memory_limit`` (bytes) lowers the shards per file, then the workers, until the estimated
    peak memory of all processes is under it (``fraudforge.engine.memory.plan_generation``); a
    limit too small for one worker writing one shard per file is refused. None of these changes
    the data: the content hash is the same.

    Parameters
    ----------
    scenario
        What to generate; default: ``Scenario()``, the ``india`` preset's defaults.
    out
        The dataset directory (its parents are made). It is written as a hidden sibling and
        renamed into place when complete, so an interrupted run leaves ``out`` as it was.
    format
        ``"parquet"`` (zstd-compressed ``.parquet`` files) or ``"ipc"`` (lz4-compressed Arrow
        IPC ``.arrow`` files).
    overwrite
        Replace ``out`` if it is a non-empty directory that fraudforge wrote (it holds a
        ``manifest.json``); without it, a non-empty ``out`` is refused.
    threads
        Workers, at least 1; default: the usable cores. With several part files they are
        this process and ``threads - 1`` helper processes (no more than there are files);
        with one, threads of this process. A ``memory_limit`` may use fewer.
    chunk_shards
        Shards of customers per part file, at least 1; default: chosen from the scenario's
        size and the workers, as above.
    memory_limit
        Bytes that the estimated peak memory of all workers must stay under; default: no
        limit.
    progress
        Called after each shard with (shards done, shards in all, rows so far), from the
        thread that folds the shard in: it should return quickly.

    Returns
    -------
    Manifest
        What ``out/manifest.json`` now holds: row and label counts, files with their SHA-256,
        and the content hash of the transactions.

    Raises
    ------
    ValueError
        For an unknown ``format``, ``threads`` or ``chunk_shards`` below 1, or a
        ``memory_limit`` too small for the scenario (naming the least it allows).
    ScenarioError
        When the scenario cannot be resolved (fewer merchants than the ``india`` preset
        needs).
    OutputExistsError
        When ``out`` is a file, or a non-empty directory and ``overwrite`` is not given.
    UnsafeOutputError
        When ``out`` is a directory fraudforge refuses to replace (the working directory or
        one of its parents, the home directory, the root) or, with ``overwrite``, one without
        a ``manifest.json``.

    Examples
    --------
    >>> from fraudforge import Scenario, generate, scan_dataset
    >>> manifest = generate(Scenario(customers=1_000, days=30), "data")
    >>> manifest.rows["transactions"] == scan_dataset("data").collect().height
    True
    """
    scenario = scenario or Scenario()
    check_options(format, chunk_shards, "chunk_shards")
    s = scenario.resolved()
    plan = plan_generation(s, threads=threads, chunk_shards=chunk_shards, limit=memory_limit)
    out = Path(out)
    check_target(out, overwrite, marker="manifest.json")
    started = time.perf_counter()
    # The helpers start (or prestarted ones are taken) before the world is built: their
    # imports run beside the world's draws. Any not needed are stopped now.
    helpers = take_helpers(plan.workers - 1 if plan.workers > 1 else 0)
    try:
        world = build_world(s)
        with staged_directory(out) as work:
            ledger = ShardLedger(s.n_shards, progress)
            files = _write_parts(world, work, format, ledger, plan, helpers)
            return finish_dataset(scenario, world, work, format, files, ledger, started)
    except BaseException:
        for worker in helpers:
            worker.kill()  # a no-op for helpers _write_parts already closed
        raise


def check_options(format: str, chunk_shards: int | None, name: str) -> None:
    """Refuse an unknown format or fewer than one shard per file (``name`` is the option)."""
    if format not in FORMATS:
        raise ConfigError(f"format {format!r} is not supported: allowed are {', '.join(FORMATS)}")
    if chunk_shards is not None and chunk_shards < 1:
        raise ConfigError(f"{name}={chunk_shards} must be at least 1")


class ShardRecord(msgspec.Struct, frozen=True):
    """What generating one shard reports besides its rows."""

    rows: int
    row_hashes: bytes
    fraud: dict[str, int]
    anomaly: dict[str, int]


class ShardLedger:
    """Folds shard records into the manifest's totals in shard order, as they arrive from worker
    threads in any order, holding only the few that arrive early (memory stays flat)."""

    def __init__(self, total: int, progress: ProgressFn | None) -> None:
        self.hasher = ContentHasher()
        self.fraud: Counter[str] = Counter()
        self.anomaly: Counter[str] = Counter()
        self.rows_by_shard: list[int] = [0] * total
        self._waiting: dict[int, ShardRecord] = {}
        self._next = 0
        self._done = 0
        self._total = total
        self._progress = progress
        self._lock = threading.Lock()

    def add(self, shard: int, record: ShardRecord) -> None:
        """Record one shard (thread-safe)."""
        with self._lock:
            self._waiting[shard] = record
            self.rows_by_shard[shard] = record.rows
            while self._next in self._waiting:
                r = self._waiting.pop(self._next)
                self.hasher.update_hashes(r.row_hashes)
                self.fraud.update(r.fraud)
                self.anomaly.update(r.anomaly)
                self._next += 1
            self._done += 1
            if self._progress is not None:
                self._progress(self._done, self._total, sum(self.rows_by_shard))


def _counts(df: pl.DataFrame, col: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in df[col].value_counts().iter_rows()}


def _sink(lf: pl.LazyFrame, path: Path, fmt: str) -> None:
    """Stream a LazyFrame into one file, atomically (temporary name, then rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    if fmt == "parquet":
        lf.sink_parquet(tmp, compression="zstd", compression_level=1, statistics=True)
    else:
        lf.sink_ipc(tmp, compression="lz4")
    os.replace(tmp, path)


def shard_record(tx: pl.DataFrame) -> ShardRecord:
    """What a shard's transactions add to the manifest."""
    return ShardRecord(
        rows=tx.height,
        row_hashes=ContentHasher.row_hashes(tx),
        fraud=_counts(tx, "fraud_type"),
        anomaly=_counts(tx, "anomaly_type"),
    )


def chunks(n_shards: int, chunk_shards: int) -> Iterator[range]:
    """The shard ranges of the part files, in order: ``chunk_shards`` shards each."""
    for lo in range(0, n_shards, chunk_shards):
        yield range(lo, min(lo + chunk_shards, n_shards))


def write_part(
    world: World,
    work: Path,
    fmt: str,
    index: int,
    shards: range,
    record: Callable[[int, ShardRecord], None],
    threads: int | None,
) -> list[dict[str, Any]]:
    """Stream ``shards`` of ``world`` into ``transactions/part-INDEX`` and their customers into
    ``customers/part-INDEX``, reporting each shard to ``record``; returns the two file entries."""
    customers: dict[int, pl.DataFrame] = {}
    rows: dict[int, int] = {}

    def build(shard: int) -> pl.DataFrame:
        tx, cu = shard_tables(world.scenario, shard, world)
        customers[shard] = cu
        rows[shard] = tx.height
        record(shard, shard_record(tx))
        return tx

    name = f"part-{index:05d}{SUFFIX[fmt]}"
    tx_path = work / "transactions" / name
    tx_path.parent.mkdir(exist_ok=True)
    _sink(shard_source(build, shards, polars_schema(TRANSACTIONS), threads=threads), tx_path, fmt)
    cu_path = work / "customers" / name
    cu_path.parent.mkdir(exist_ok=True)
    cu = pl.concat([customers.pop(k) for k in shards])
    _sink(cu.lazy(), cu_path, fmt)
    return [
        {"path": f"{path.parent.name}/{name}", "rows": n, "sha256": sha256_file(path)}
        for path, n in ((tx_path, sum(rows.values())), (cu_path, cu.height))
    ]


def write_part_records(
    world: World, work: Path, fmt: str, index: int, shards: range
) -> tuple[list[dict[str, Any]], list[tuple[int, ShardRecord]]]:
    """``write_part`` with one generation thread, in a worker process or task: returns the file
    entries and each shard's record, for the coordinating process to fold."""
    records: list[tuple[int, ShardRecord]] = []
    entries = write_part(world, work, fmt, index, shards, lambda i, r: records.append((i, r)), 1)
    return entries, records


def _write_parts(
    world: World,
    work: Path,
    fmt: str,
    ledger: ShardLedger,
    plan: GenerationPlan,
    workers: list[PartWorker],
) -> list[dict[str, Any]]:
    """Stream the shards into ``transactions/part-N`` files of ``plan.chunk_shards`` shards
    each, and each chunk's customers into ``customers/part-N``. With one worker, this process
    writes the files in order (``plan.threads`` threads generating a file's shards); with more,
    this process and the ``plan.workers - 1`` helper processes ``workers`` each take the next
    unwritten file; each helper receives the world once, here."""
    ranges = list(chunks(world.scenario.n_shards, plan.chunk_shards))
    if plan.workers <= 1:
        files = []
        for i, shards in enumerate(ranges):
            files.extend(write_part(world, work, fmt, i, shards, ledger.add, plan.threads))
        return files
    claimed = iter(range(len(ranges)))
    lock = threading.Lock()
    stop = threading.Event()
    written: dict[int, list[dict[str, Any]]] = {}

    def claim() -> int | None:
        with lock:
            return None if stop.is_set() else next(claimed, None)

    def helper(worker: PartWorker) -> None:
        try:
            while (i := claim()) is not None:
                entries, records = worker.run((work, fmt, i, ranges[i]))
                for shard, record in records:
                    ledger.add(shard, record)
                written[i] = entries
        except BaseException:
            stop.set()
            raise
        finally:
            worker.close()

    helpers = len(workers)
    for worker in workers:
        worker.send_world(world)
    with ThreadPoolExecutor(helpers, thread_name_prefix="fraudforge-part") as waiters:
        loops = [waiters.submit(helper, worker) for worker in workers]
        try:
            while (j := claim()) is not None:
                written[j] = write_part(world, work, fmt, j, ranges[j], ledger.add, 1)
        except BaseException:  # an interrupt or error here: stop the helpers now
            stop.set()
            for worker in workers:
                worker.kill()
            raise
        finally:
            stop.set()
        for loop in loops:
            loop.result()
    return [entry for i in range(len(ranges)) for entry in written[i]]


def finish_dataset(
    scenario: Scenario,
    world: World,
    work: Path,
    fmt: str,
    files: list[dict[str, Any]],
    ledger: ShardLedger,
    started: float,
) -> Manifest:
    """Write the merchants table and ``manifest.json`` beside the part files ``files`` (whose
    shards ``ledger`` has folded) in ``work``; returns the manifest."""
    s = world.scenario
    merchants = work / f"merchants{SUFFIX[fmt]}"
    table = world.merchants()
    _sink(table.lazy(), merchants, fmt)
    files.append(
        {
            "path": merchants.name,
            "rows": table.height,
            "sha256": sha256_file(merchants),
        }
    )

    def total(table: str) -> int:
        return sum(f["rows"] for f in files if f["path"].startswith(table))

    manifest = Manifest(
        schema_version=SCHEMA_VERSION,
        fraudforge_version=package_version(),
        scenario=scenario.to_dict(),
        resolved=msgspec.to_builtins(s),
        format=fmt,
        rows={t: total(t) for t in ("transactions", "customers", "merchants")},
        fraud_counts=dict(sorted(ledger.fraud.items())),
        anomaly_counts=dict(sorted(ledger.anomaly.items())),
        files=files,
        content_hash=ledger.hasher.hexdigest(),
        seconds=round(time.perf_counter() - started, 3),
    )
    (work / "manifest.json").write_bytes(msgspec.json.format(msgspec.json.encode(manifest)))
    return manifest


def read_manifest(path: str | Path) -> Manifest:
    """Load ``manifest.json`` of a dataset directory; a dataset of a schema version this
    fraudforge does not read (``schema.READABLE_VERSIONS``) is a ``SchemaVersionError``.

    Parameters
    ----------
    path
        A dataset directory written by ``generate``, or its ``manifest.json``.

    Returns
    -------
    Manifest
        The manifest as written.

    Raises
    ------
    FileNotFoundError
        When there is no such file (a directory without ``manifest.json``).
    SchemaVersionError
        When the dataset's schema version is not one this fraudforge reads; the message says
        how to regenerate it. A ``ValueError``.
    msgspec.DecodeError
        When the file is not a manifest (not JSON, or fields missing or of the wrong type).
    """
    p = Path(path)
    p = p / "manifest.json" if p.is_dir() else p
    m = msgspec.json.decode(p.read_bytes(), type=Manifest)
    if m.schema_version not in READABLE_VERSIONS:
        raise SchemaVersionError(str(p.parent), m.schema_version, READABLE_VERSIONS, SCHEMA_VERSION)
    return m


def scan_dataset(path: str | Path, table: str = "transactions") -> pl.LazyFrame:
    """A written dataset's table as a LazyFrame (``transactions``, ``customers``, ``merchants``).
    The transactions of a version 2 dataset, written before the session columns existed, come
    with those columns null (unknown), in the schema's order.

    Parameters
    ----------
    path
        A dataset directory written by ``generate``.
    table
        ``"transactions"``, ``"customers"`` or ``"merchants"``.

    Returns
    -------
    polars.LazyFrame
        A scan of the table's files in order (Parquet or Arrow IPC, as the manifest records),
        read only when collected or sunk.

    Raises
    ------
    ValueError
        For another ``table``.
    FileNotFoundError
        When ``path`` has no ``manifest.json``.
    SchemaVersionError
        When the dataset's schema version is not one this fraudforge reads
        (``read_manifest``).
    """
    if table not in TABLES:
        raise ConfigError(f"table {table!r} is unknown: allowed are {', '.join(TABLES)}")
    m = read_manifest(path)
    root = Path(path)
    reader = pl.scan_parquet if m.format == "parquet" else pl.scan_ipc
    files = [root / f["path"] for f in m.files if f["path"].startswith(table)]
    lf = reader(files)
    if table == "transactions" and m.schema_version < 3:
        schema = polars_schema(TRANSACTIONS)
        lf = lf.with_columns(pl.lit(None, schema[c]).alias(c) for c in SESSION_COLUMNS).select(
            schema.names()
        )
    return lf


def dataset_hash(path: str | Path) -> str:
    """Recompute the content hash of a written dataset's transactions.

    The files are read one at a time; the hash depends on the rows and their order, not on how
    they are split into files, so it checks a copy or a re-generation against the manifest.

    Parameters
    ----------
    path
        A dataset directory written by ``generate``.

    Returns
    -------
    str
        ``"ROWS:SHA256"``: the row count and the hex SHA-256 of the per-row hashes, equal to
        the manifest's ``content_hash`` while the transactions are as written.

    Raises
    ------
    FileNotFoundError
        When ``path`` has no ``manifest.json`` or a transactions file it lists is missing.
    SchemaVersionError
        When the dataset's schema version is not one this fraudforge reads
        (``read_manifest``).
    """
    hasher = ContentHasher()
    m = read_manifest(path)
    root = Path(path)
    for f in m.files:
        if f["path"].startswith("transactions/"):
            df = (
                pl.read_parquet(root / f["path"])
                if m.format == "parquet"
                else pl.read_ipc(root / f["path"])
            )
            hasher.update(df)
    return hasher.hexdigest()


__all__ = ["Manifest", "dataset_hash", "generate", "read_manifest", "scan_dataset"]
