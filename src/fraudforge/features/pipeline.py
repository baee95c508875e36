"""``fraudforge features --in DATA --out FEATURES``: the features of a generated dataset, written
as Parquet keyed by transaction_id with the label columns, plus ``features.json`` (catalogue
hash, outlier model, source dataset hash, row counts). Written atomically like datasets."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import polars as pl

from fraudforge.engine.dataset import Manifest, read_manifest, scan_dataset
from fraudforge.features.batch import compute_features, entity_arrays, time_order
from fraudforge.features.catalog import CATALOG, catalog_rows
from fraudforge.features.layout import ENTITY_FEATURES
from fraudforge.features.outlier import OutlierModel
from fraudforge.foundation.atomic import check_target, staged_directory
from fraudforge.foundation.errors import FraudforgeError
from fraudforge.foundation.progress import ProgressFn, ignore


class FeaturesManifest(msgspec.Struct, kw_only=True):
    """What a features directory holds (``features.json``)."""

    catalog_hash: str
    features: list[str]
    source: str
    source_content_hash: str
    rows: int
    outlier: OutlierModel
    files: list[str]
    seconds: float


def catalog_hash() -> str:
    """SHA-256 of the catalogue (names, types, windows, definitions): changes when any feature's
    meaning changes, so models can refuse features they were not trained on."""
    text = json.dumps(catalog_rows())
    return hashlib.sha256(text.encode()).hexdigest()


ENTITY_BUCKET_ROWS = 8_000_000
"""Rows per merchant (or device) bucket in the entity phase by default: its memory bound."""
FEATURES_BASE_BYTES = 600 * 1024**2
"""A features process's interpreter and libraries (Numba and LLVM included), with no data."""
FEATURE_ROW_BYTES = 1_300
"""Peak memory per row of the transactions file being featurised (its frame, the feature matrix,
the output table), measured with ``fraudforge bench scale`` and rounded up."""
ENTITY_ROW_BYTES = 400
"""Peak memory per row of an entity bucket (its columns, the kernel's inputs and outputs)."""
CUSTOMER_ROW_BYTES = 64
"""The home coordinates kept for every customer of the dataset."""
BUCKET_SLACK = 1.25
"""Hash buckets are not equal: plan for the fullest holding this much more than the mean."""
_ENTITY_INPUTS = ("transaction_id", "customer_id", "timestamp", "is_fraud", "label_known_at")
_KINDS = (
    ("merchant", "merchant_id", ENTITY_FEATURES[:3]),
    ("device", "device_id", ENTITY_FEATURES[3:]),
)
"""Entity kinds of the entity phase: name, id column, the features it yields."""
ENTITY_STEP = "merchant and device features"
"""The entity phase's progress step, counted in hash buckets."""
CUSTOMER_STEP = "customer features"
"""The customer phase's progress step, counted in rows."""
ENTITY_COLUMNS = (*(column for _, column, _ in _KINDS), *_ENTITY_INPUTS)
"""The transactions columns the entity phase reads."""


def entity_bucket(column: str, buckets: int) -> pl.Expr:
    """The hash bucket (of ``buckets``) that a row's merchant or device id falls in."""
    return pl.col(column).hash(seed=0) % buckets


def entity_buckets(manifest: Manifest, memory_limit: int | None = None) -> int:
    """Hash buckets of the entity phase for a dataset: enough for ``ENTITY_BUCKET_ROWS`` rows
    each, and under ``memory_limit`` (bytes) enough that the fullest bucket fits beside the
    process's fixed memory. A limit that cannot hold the largest transactions file's features is
    refused, naming the least it allows."""
    from fraudforge.foundation.machine import format_bytes, physical_memory

    total = manifest.rows["transactions"]
    buckets = max(1, -(-total // ENTITY_BUCKET_ROWS))
    if memory_limit is None:
        return buckets
    fixed = FEATURES_BASE_BYTES + CUSTOMER_ROW_BYTES * manifest.rows["customers"]
    largest = max(
        (f["rows"] for f in manifest.files if f["path"].startswith("transactions/")), default=0
    )
    least = fixed + max(FEATURE_ROW_BYTES * largest, ENTITY_ROW_BYTES * BUCKET_SLACK * 1_000)
    if memory_limit < least:
        raise ValueError(
            f"memory_limit {format_bytes(memory_limit)} is too small for the features of this "
            f"dataset (its largest transactions file has {largest:,} rows): allowed is at least "
            f"{format_bytes(least)} and at most {format_bytes(physical_memory())} (this "
            "machine's memory); generate with fewer shards per file (--chunk-shards) to need less"
        )
    per_bucket = (memory_limit - fixed) / (ENTITY_ROW_BYTES * BUCKET_SLACK)
    return max(buckets, math.ceil(total / per_bucket))


def _entity_phase(files: list[Path], buckets: int, work: Path, progress: ProgressFn) -> None:
    """Merchant- and device-side features of every transaction, exactly, across all files:
    entities are split into ``buckets`` hash buckets, small enough for memory; one read per
    bucket collects the rows whose merchant or device is in it (from every file), and
    ``write_entity_bucket`` writes their features per source file for the customer phase."""
    index = {str(f): i for i, f in enumerate(files)}
    lf = pl.scan_parquet(files, include_file_paths="source")
    for b in range(buckets):
        progress(ENTITY_STEP, b, buckets)
        member = {
            kind: pl.col(column).is_not_null() & (entity_bucket(column, buckets) == b)
            for kind, column, _ in _KINDS
        }
        part = (
            lf.filter(pl.any_horizontal(*member.values()))
            .select(
                *(member[kind].alias(f"in_{kind}") for kind, _, _ in _KINDS),
                *(column for _, column, _ in _KINDS),
                *_ENTITY_INPUTS,
                "source",
            )
            .collect()
        )
        write_entity_bucket(part, b, work, index)
    progress(ENTITY_STEP, buckets, buckets)


def write_entity_bucket(
    part: pl.DataFrame, bucket: int, work: Path, file_index: Mapping[Any, int]
) -> None:
    """Merchant- and device-side features of one bucket's rows ``part`` (every row whose merchant
    or device is in the bucket, flagged ``in_merchant``/``in_device``, with the entity inputs and
    its ``source`` file, which ``file_index`` numbers): each kind's rows go through the entity
    kernel in (entity, timestamp, transaction_id) order and the results are written per source
    file as ``work/KIND/FILE-BUCKET.parquet``."""
    if part.height == 0:
        return
    t = part["timestamp"].dt.epoch("us").to_numpy()
    customer = part["customer_id"].to_numpy()
    is_fraud = part["is_fraud"].to_numpy()
    known_at = part["label_known_at"].dt.epoch("us").to_numpy()
    transaction_id = part["transaction_id"].to_numpy()
    by_time = time_order(t, transaction_id)
    for kind, column, names in _KINDS:
        inside = part[f"in_{kind}"].to_numpy()
        entity = np.where(inside, part[column].fill_null(-1).to_numpy(), -1)
        values = entity_arrays(
            entity, t, customer, is_fraud, known_at, transaction_id, by_time=by_time
        )
        yielded = dict(zip(names, values[3 - len(names) :], strict=True))
        out = (
            part.select("transaction_id", "source")
            .with_columns(**{name: pl.Series(v) for name, v in yielded.items()})
            .filter(pl.Series(inside))
        )
        for (source,), rows in out.group_by("source"):
            target = work / kind / f"{file_index[source]:05d}-{bucket:05d}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            rows.drop("source").write_parquet(target)


def _entity_for(work: Path, file_index: int) -> pl.DataFrame:
    """The entity-phase results of one source file (zeros where a row has no merchant/device)."""
    frames = []
    for kind, _, names in _KINDS:
        paths = sorted((work / kind).glob(f"{file_index:05d}-*.parquet"))
        schema = {"transaction_id": pl.Int64, **{n: pl.Float64 for n in names}}
        frames.append(
            pl.concat([pl.read_parquet(p) for p in paths]) if paths else pl.DataFrame(schema=schema)
        )
    joined = frames[0].join(frames[1], on="transaction_id", how="full", coalesce=True)
    return joined.with_columns(pl.col(ENTITY_FEATURES).fill_null(0.0))


def source_dataset(data: str | Path) -> tuple[Path, Manifest]:
    """The directory and manifest of a Parquet dataset to compute features of, or a clear error."""
    src = Path(data)
    if not (src / "manifest.json").is_file():
        raise FileNotFoundError(
            f"{src} is not a fraudforge dataset (no manifest.json): "
            "pass a directory written by `fraudforge generate`"
        )
    manifest = read_manifest(src)
    if manifest.format != "parquet":
        raise ValueError(
            f"{src} is in {manifest.format} format: features read Parquet datasets "
            "(generate --format parquet)"
        )
    return src, manifest


def build_features(
    data: str | Path,
    out: str | Path,
    *,
    overwrite: bool = False,
    threads: int | None = None,
    memory_limit: int | None = None,
    outlier: OutlierModel | None = None,
    progress: ProgressFn = ignore,
) -> FeaturesManifest:
    """Compute the features of dataset ``data`` into directory ``out``, file by file, reporting
    to ``progress`` (``ENTITY_STEP`` in buckets, then ``CUSTOMER_STEP`` in rows).

    Memory holds one transactions file and one entity bucket at a time: merchant- and
    device-side features come from a first, bucketed pass over all files; customer-side features
    from each file alone (a file holds whole shards, so whole customers). ``memory_limit``
    (bytes) sets the number of buckets (see ``entity_buckets``). The outlier model is fitted on
    the first file unless given.
    """
    started = time.perf_counter()
    src, manifest = source_dataset(data)
    buckets = entity_buckets(manifest, memory_limit)
    dest = Path(out)
    check_target(dest, overwrite, marker="features.json")
    tx_files = [src / f["path"] for f in manifest.files if f["path"].startswith("transactions/")]
    with staged_directory(dest) as work:
        (work / "features").mkdir()
        _entity_phase(tx_files, buckets, work / ".entity", progress)
        customers = (
            scan_dataset(src, "customers").select("customer_id", "home_lat", "home_lon").collect()
        )
        files: list[str] = []
        rows = 0
        model = outlier
        total = manifest.rows["transactions"]
        for i, path in enumerate(tx_files):
            progress(CUSTOMER_STEP, rows, total)
            n, model = write_feature_part(path, i, customers, work, outlier=model, threads=threads)
            files.append(f"features/part-{i:05d}.parquet")
            rows += n
        progress(CUSTOMER_STEP, rows, total)
        assert model is not None
        return finish_features(work, src, manifest.content_hash, rows, model, files, started)


def write_feature_part(
    path: Path,
    index: int,
    customers: pl.DataFrame,
    work: Path,
    *,
    outlier: OutlierModel | None,
    threads: int | None,
) -> tuple[int, OutlierModel]:
    """Features of transactions file ``path`` (number ``index``) into
    ``work/features/part-INDEX.parquet``, with its entity-phase results from ``work/.entity``;
    returns its row count and the outlier model used (fitted on it when not given)."""
    tx = pl.read_parquet(path)
    entity = _entity_for(work / ".entity", index)
    frame, model = compute_features(tx, customers, outlier=outlier, threads=threads, entity=entity)
    part = work / "features" / f"part-{index:05d}.parquet"
    frame.write_parquet(part, compression="zstd", compression_level=1)
    return frame.height, model


def finish_features(
    work: Path,
    src: Path,
    source_hash: str,
    rows: int,
    model: OutlierModel,
    files: list[str],
    started: float,
) -> FeaturesManifest:
    """Drop the entity-phase scratch files and write ``features.json`` into ``work``."""
    shutil.rmtree(work / ".entity", ignore_errors=True)
    result = FeaturesManifest(
        catalog_hash=catalog_hash(),
        features=[f.name for f in CATALOG],
        source=str(src),
        source_content_hash=source_hash,
        rows=rows,
        outlier=model,
        files=files,
        seconds=round(time.perf_counter() - started, 3),
    )
    (work / "features.json").write_bytes(msgspec.json.format(msgspec.json.encode(result)))
    return result


class FeaturesMismatchError(FraudforgeError, ValueError):
    """A features directory computed from another dataset than the one it is used with: the
    rows would still join (transaction ids repeat across seeds and presets), silently wrong."""

    def __init__(self, features: Path, data: Path, recorded: str, actual: str) -> None:
        super().__init__(
            f"features {str(features)!r} were computed from another dataset: features.json "
            f"records source content hash {recorded}, but {str(data)!r} has {actual}; compute "
            f"them for this dataset (fraudforge features --in {data} --out DIR)"
        )


def read_features(
    path: str | Path, *, dataset: str | Path | None = None
) -> tuple[FeaturesManifest, pl.LazyFrame]:
    """A features directory's manifest and its table. With ``dataset`` (a dataset directory),
    refuse features whose recorded source content hash is not that dataset's
    (``FeaturesMismatchError``)."""
    root = Path(path)
    record = root / "features.json"
    if not record.is_file():
        raise FileNotFoundError(
            f"{str(root)!r} is not a features directory: it has no features.json "
            "(write one with fraudforge features --in DATA --out DIR)"
        )
    m = msgspec.json.decode(record.read_bytes(), type=FeaturesManifest)
    if dataset is not None:
        actual = read_manifest(dataset).content_hash
        if m.source_content_hash != actual:
            raise FeaturesMismatchError(root, Path(dataset), m.source_content_hash, actual)
    return m, pl.scan_parquet([root / f for f in m.files])
