"""Writing a scenario to a dataset directory, atomically, with its manifest.

Layout::

    OUT/
      transactions/part-00000.parquet ...   (or .arrow: Arrow IPC files)
      customers.parquet
      merchants.parquet
      manifest.json

The dataset is written into a hidden sibling directory and renamed into place when complete, so
an interrupted run never leaves a partial dataset where a complete one is expected.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import msgspec
import polars as pl

from fraudforge.engine.errors import OutputExistsError
from fraudforge.engine.scan import shard_source
from fraudforge.engine.scenario import ResolvedScenario, Scenario
from fraudforge.engine.schema import SCHEMA_VERSION, TRANSACTIONS, polars_schema
from fraudforge.engine.shard import merchants_table, shard_customers, shard_transactions

Format = Literal["parquet", "ipc"]
FORMATS: tuple[str, ...] = ("parquet", "ipc")
SUFFIX = {"parquet": ".parquet", "ipc": ".arrow"}
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


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fraudforge")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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


def _check_target(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise OutputExistsError(str(out))
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise OutputExistsError(str(out))


def _chunks(n_shards: int, chunk_shards: int) -> Iterator[range]:
    for lo in range(0, n_shards, chunk_shards):
        yield range(lo, min(lo + chunk_shards, n_shards))


def generate(
    scenario: Scenario | None = None,
    out: str | Path = "fraudforge-data",
    *,
    format: Format = "parquet",
    overwrite: bool = False,
    threads: int | None = None,
    chunk_shards: int | None = None,
    progress: ProgressFn | None = None,
) -> Manifest:
    """Generate a scenario's dataset into directory ``out`` and return its manifest.

    ``threads`` workers (default: one per core) generate shards; ``chunk_shards`` shards go into
    each transactions file (default: about 2M rows a file). Neither changes the data: the content
    hash is the same.
    """
    scenario = scenario or Scenario()
    if format not in FORMATS:
        raise ValueError(f"format {format!r} is not supported: allowed are {', '.join(FORMATS)}")
    if chunk_shards is not None and chunk_shards < 1:
        raise ValueError(f"chunk_shards={chunk_shards} must be at least 1")
    s = scenario.resolved()
    out = Path(out)
    _check_target(out, overwrite)
    started = time.perf_counter()
    work = out.parent / f".{out.name}.partial-{os.getpid()}"
    if work.exists():
        shutil.rmtree(work)
    (work / "transactions").mkdir(parents=True)
    try:
        manifest = _write_dataset(
            scenario, s, work, format, threads, chunk_shards, progress, started
        )
        (work / "manifest.json").write_bytes(msgspec.json.format(msgspec.json.encode(manifest)))
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
            work.rename(out)
            shutil.rmtree(old)
        else:
            work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


class ShardRecord(msgspec.Struct, frozen=True):
    """What generating one shard reports besides its rows."""

    rows: int
    row_hashes: bytes
    fraud: dict[str, int]
    anomaly: dict[str, int]
    customers: pl.DataFrame


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


def auto_chunk_shards(s: ResolvedScenario, rows_per_file: int = 2_000_000) -> int:
    """Shards per transactions file so that files hold about ``rows_per_file`` rows."""
    from fraudforge.engine.volume import rows_per_customer

    per_shard = max(rows_per_customer(s.start_date, s.days) * s.shard_size, 1.0)
    return max(1, round(rows_per_file / per_shard))


def _write_dataset(
    scenario: Scenario,
    s: ResolvedScenario,
    work: Path,
    fmt: str,
    threads: int | None,
    chunk_shards: int | None,
    progress: ProgressFn | None,
    started: float,
) -> Manifest:
    suffix = SUFFIX[fmt]
    records: dict[int, ShardRecord] = {}
    lock = threading.Lock()
    done = [0, 0]

    def build(shard: int) -> pl.DataFrame:
        tx = shard_transactions(s, shard)
        record = ShardRecord(
            rows=tx.height,
            row_hashes=ContentHasher.row_hashes(tx),
            fraud=_counts(tx, "fraud_type"),
            anomaly=_counts(tx, "anomaly_type"),
            customers=shard_customers(s, shard),
        )
        with lock:
            records[shard] = record
            done[0] += 1
            done[1] += tx.height
            if progress is not None:
                progress(done[0], s.n_shards, done[1])
        return tx

    schema = polars_schema(TRANSACTIONS)
    chunks = list(_chunks(s.n_shards, chunk_shards or auto_chunk_shards(s)))
    files: list[dict[str, Any]] = []
    for i, shards in enumerate(chunks):
        path = work / "transactions" / f"part-{i:05d}{suffix}"
        _sink(shard_source(build, shards, schema, threads=threads), path, fmt)
        rows = sum(records[k].rows for k in shards)
        files.append(
            {"path": f"transactions/{path.name}", "rows": rows, "sha256": sha256_file(path)}
        )
    hasher = ContentHasher()
    fraud: Counter[str] = Counter()
    anomaly: Counter[str] = Counter()
    for k in range(s.n_shards):
        hasher.update_hashes(records[k].row_hashes)
        fraud.update(records[k].fraud)
        anomaly.update(records[k].anomaly)
    customers = pl.concat([records[k].customers for k in range(s.n_shards)])
    merchants = merchants_table(s)
    for name, df in (("customers", customers), ("merchants", merchants)):
        path = work / f"{name}{suffix}"
        _sink(df.lazy(), path, fmt)
        files.append({"path": path.name, "rows": df.height, "sha256": sha256_file(path)})
    return Manifest(
        schema_version=SCHEMA_VERSION,
        fraudforge_version=_version(),
        scenario=scenario.to_dict(),
        resolved=msgspec.to_builtins(s),
        format=fmt,
        rows={
            "transactions": hasher.rows,
            "customers": customers.height,
            "merchants": merchants.height,
        },
        fraud_counts=dict(sorted(fraud.items())),
        anomaly_counts=dict(sorted(anomaly.items())),
        files=files,
        content_hash=hasher.hexdigest(),
        seconds=round(time.perf_counter() - started, 3),
    )


def read_manifest(path: str | Path) -> Manifest:
    """Load ``manifest.json`` of a dataset directory."""
    p = Path(path)
    p = p / "manifest.json" if p.is_dir() else p
    return msgspec.json.decode(p.read_bytes(), type=Manifest)


def scan_dataset(path: str | Path, table: str = "transactions") -> pl.LazyFrame:
    """A written dataset's table as a LazyFrame (``transactions``, ``customers``, ``merchants``)."""
    m = read_manifest(path)
    root = Path(path)
    suffix = SUFFIX[m.format]
    reader = pl.scan_parquet if m.format == "parquet" else pl.scan_ipc
    if table == "transactions":
        files = [root / f["path"] for f in m.files if f["path"].startswith("transactions/")]
        return reader(files)
    if table in ("customers", "merchants"):
        return reader(root / f"{table}{suffix}")
    raise ValueError(f"table {table!r} is unknown: allowed are transactions, customers, merchants")


def dataset_hash(path: str | Path) -> str:
    """Recompute the content hash of a written dataset's transactions."""
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


def summary_json(m: Manifest) -> str:
    """The manifest as indented JSON."""
    return json.dumps(msgspec.to_builtins(m), indent=2)


__all__ = ["Manifest", "dataset_hash", "generate", "read_manifest", "scan_dataset"]
