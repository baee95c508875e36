"""``fraudforge features --in DATA --out FEATURES``: the features of a generated dataset, written
as Parquet keyed by transaction_id with the label columns, plus ``features.json`` (catalogue
hash, outlier model, source dataset hash, row counts). Written atomically like datasets."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import math
import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple

import msgspec
import numpy as np
import polars as pl

from fraudforge.engine.dataset import Manifest, read_manifest, scan_dataset
from fraudforge.engine.schema import TRAINING_LABELS
from fraudforge.features.catalog import CATALOG, ENTITY_FEATURES, catalog_rows
from fraudforge.features.outlier import OutlierModel, sample_rows
from fraudforge.foundation.atomic import check_target, staged_directory
from fraudforge.foundation.errors import ConfigError, DataError
from fraudforge.foundation.progress import ProgressFn, ignore

if TYPE_CHECKING:
    from fraudforge.features.batch import F64, I64, Columns, EntityKind

# The kernels' modules (Numba and LLVM: about a third of a second) are imported where features
# are computed, not here: reading a features directory (training, the report, the service)
# needs only the manifest and its types.


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


ENTITY_BUCKET_ROWS = 1_000_000
"""Rows of the dataset per merchant (or device) bucket in the entity phase by default: its
memory bound. A row goes to its merchant's (or payee's) bucket and to its device's, so a
bucket holds up to about twice this many tagged rows (1.98 GiB peak at 10M rows with 2M per
bucket, about 4M tagged rows each). A single bucket holds each row once, so a dataset of up to
twice this many rows is one bucket (``default_buckets``)."""
FEATURE_BATCH_ROWS = 400_000
"""Rows per batch of the customer phase (whole customers, cut at the first customer at or after
each multiple): the rows whose feature matrix is in memory at once, one output file each when
a transactions file has several, and the step of the progress."""
FEATURES_BASE_BYTES = 600 * 1024**2
"""A features process's interpreter and libraries (Numba and LLVM included), with no data."""
FEATURE_ROW_BYTES = 300
"""Peak memory per row of the largest transactions file, in the phase that holds most of one
file: its entity columns split into buckets, or in the customer phase its ordering columns and
entity results, held while its batches are computed."""
FEATURE_BATCH_ROW_BYTES = 2_000
"""Peak memory per row of a customer-phase batch: its rows, kernel inputs, feature matrix and
output table, twice (one batch is written while the next is computed). With
``FEATURE_ROW_BYTES``, an upper bound: at 30M rows (files of 2M rows) it gives 2.0 GiB where
`fraudforge features` peaked at 1.33 GiB (1.09 GiB in the customer phase)."""
FEATURES_COMPRESSION: Final = "snappy"
"""The features files' Parquet codec. Most feature columns are floats whose low bits do not
compress, so zstd (level 1, as datasets are written) spends its time for little: on 1M rows
Snappy takes about a quarter less CPU to write (0.71-0.93 s against 0.93-1.06 s, five rounds
each, 2026-12-05) for files 18% larger (249 MiB against 211 MiB), and any Parquet reader reads
it."""
ENTITY_ROW_BYTES = 400
"""Peak memory per row of an entity bucket (its columns, the kernel's inputs and outputs)."""
ENTITY_RESULT_BYTES = 64
"""With one entity bucket, the results kept in memory through the customer phase, per row of
the dataset (8 float64 features); with more, they are on disk."""
CUSTOMER_ROW_BYTES = 64
"""The home coordinates kept for every customer of the dataset."""
BUCKET_SLACK = 1.25
"""Hash buckets are not equal: plan for the fullest holding this much more than the mean."""
_ENTITY_INPUTS = (
    "transaction_id", "customer_id", "timestamp", "amount_inr", "is_fraud", "label_known_at",
)  # fmt: skip
_MERCHANT, _DEVICE, _PAYEE = "merchant_id", "device_id", "counterparty"
_KINDS: tuple[tuple[str, pl.Expr], ...] = (
    ("merchant", pl.col(_MERCHANT)),
    ("device", pl.col(_DEVICE)),
    ("payee", pl.when(pl.col(_MERCHANT).is_null()).then(pl.col(_PAYEE))),
)
"""Entity kinds of the entity phase (``batch.ENTITY_KINDS``' order): name and the id it is
bucketed by (null where a row has none): the merchant, the device, the P2P payee's address."""
ENTITY_STEP = "merchant, device and payee features"
"""The entity phase's progress step, counted in hash buckets."""
SPLIT_STEP = "splitting rows by merchant, device and payee"
"""With more than one bucket, the entity phase's first step, counted in files: each file's
entity columns split into the buckets' pieces."""
CUSTOMER_STEP = "customer features"
"""The customer phase's progress step, counted in rows."""
ENTITY_COLUMNS = (_MERCHANT, _DEVICE, _PAYEE, *_ENTITY_INPUTS)
"""The transactions columns the entity phase reads."""


def entity_bucket(column: str | pl.Expr, buckets: int) -> pl.Expr:
    """The hash bucket (of ``buckets``) that a row's merchant, device or payee id falls in."""
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.hash(seed=0) % buckets


def default_buckets(rows: int) -> int:
    """Hash buckets of the entity phase for a dataset of ``rows`` transactions with no memory
    limit: one while the rows fit in one bucket's tagged rows (``2 * ENTITY_BUCKET_ROWS``: with
    one bucket a row is there once, not once per distinct bucket of its merchant, device and
    payee), so that a small dataset skips the disk shuffle; else one per ``ENTITY_BUCKET_ROWS``
    rows."""
    if rows <= 2 * ENTITY_BUCKET_ROWS:
        return 1
    return -(-rows // ENTITY_BUCKET_ROWS)


def entity_buckets(manifest: Manifest, memory_limit: int | None = None) -> int:
    """Hash buckets of the entity phase for a dataset: ``default_buckets``, and under
    ``memory_limit`` (bytes) enough that the fullest bucket fits beside the process's fixed
    memory. A limit that cannot hold the largest transactions file's features is refused,
    naming the least it allows."""
    from fraudforge.foundation.machine import format_bytes, physical_memory

    total = manifest.rows["transactions"]
    buckets = default_buckets(total)
    if memory_limit is None:
        return buckets
    fixed = FEATURES_BASE_BYTES + CUSTOMER_ROW_BYTES * manifest.rows["customers"]
    largest = max(
        (f["rows"] for f in manifest.files if f["path"].startswith("transactions/")), default=0
    )
    customer_phase = FEATURE_ROW_BYTES * largest + FEATURE_BATCH_ROW_BYTES * min(
        largest, FEATURE_BATCH_ROWS
    )
    least = fixed + max(customer_phase, ENTITY_ROW_BYTES * BUCKET_SLACK * 1_000)
    if memory_limit < least:
        raise ConfigError(
            f"memory_limit {format_bytes(memory_limit)} is too small for the features of this "
            f"dataset (its largest transactions file has {largest:,} rows): allowed is at least "
            f"{format_bytes(least)} and at most {format_bytes(physical_memory())} (this "
            "machine's memory); generate with fewer shards per file (--chunk-shards) to need less"
        )
    per_bucket = (memory_limit - fixed) / (ENTITY_ROW_BYTES * BUCKET_SLACK)
    buckets = max(buckets, math.ceil(total / per_bucket))
    if buckets == 1 and memory_limit < fixed + customer_phase + ENTITY_RESULT_BYTES * total:
        return 2  # one bucket keeps every row's results through the customer phase: too many
    return buckets


def tag_file(index: int, path: str | Path, buckets: int) -> pl.DataFrame:
    """Transactions file ``index``'s entity inputs, each row tagged with the ``bucket`` it goes
    to and for which entities it is there (``in_merchant``, ``in_device``, ``in_payee``): a row
    goes once to each distinct bucket among its merchant's, device's and payee's (a row with
    none goes nowhere), and carries its ``source`` file's index and its ``row`` in that file
    (where the customer phase puts its results back, with no join). With one bucket, rows keep
    the file's order (a row's results do not depend on where it is among the bucket's rows);
    with more, they come grouped by the kind that first takes them to a bucket."""
    names = [name for name, _ in _KINDS]
    tagged = pl.read_parquet(path, columns=list(ENTITY_COLUMNS)).with_columns(
        *(_bucket_or_null(expr, buckets).alias(f"_{name}") for name, expr in _KINDS),
        source=pl.lit(index, pl.Int64),
        row=pl.int_range(pl.len(), dtype=pl.UInt32),
    )
    if buckets == 1:  # every row with an entity goes to bucket 0 once: no pieces to join
        has = {name: pl.col(f"_{name}").is_not_null() for name in names}
        return (
            tagged.filter(pl.any_horizontal(*has.values()))
            .with_columns(
                bucket=pl.lit(0, pl.UInt64), **{f"in_{name}": has[name] for name in names}
            )
            .drop(*(f"_{name}" for name in names))
        )
    pieces = []
    for i, name in enumerate(names):
        bucket = pl.col(f"_{name}")
        # the row goes here for this kind unless an earlier kind already took it to this bucket
        first = bucket.is_not_null()
        for earlier in names[:i]:
            first &= (pl.col(f"_{earlier}") != bucket).fill_null(True)
        pieces.append(
            tagged.filter(first).with_columns(
                bucket=bucket,
                **{
                    f"in_{other}": (pl.col(f"_{other}") == bucket).fill_null(False)
                    for other in names
                },
            )
        )
    return pl.concat(pieces).drop(*(f"_{name}" for name in names))


def _bucket_or_null(expr: pl.Expr, buckets: int) -> pl.Expr:
    """A row's bucket for an entity id, null where it has none (with one bucket, no hash)."""
    bucket = entity_bucket(expr, buckets) if buckets > 1 else pl.lit(0, pl.UInt64)
    return pl.when(expr.is_not_null()).then(bucket)


def _entity_phase(
    files: list[Path], sizes: list[int], buckets: int, work: Path, progress: ProgressFn
) -> list[F64] | None:
    """Merchant- and device-side features of every transaction, exactly, across all files
    (``sizes`` rows each).

    One bucket (by default up to ``2 * ENTITY_BUCKET_ROWS`` rows): every file's entity columns
    are read once and go through the entity kernel together, and the results stay in memory:
    returned, one (rows, 8) matrix per file as ``_entity_for`` gives (64 bytes a row; each
    kind's results put in place by one assignment per feature at the rows' positions in the
    dataset, then each file's rows copied out, so that each is freed once used). More: a
    disk shuffle, so that each file is read once and time stays linear in rows: each file's
    tagged rows (``tag_file``) are split by bucket into ``work/shuffle/BUCKET/FILE.arrow``,
    then each bucket's pieces are read back and go through ``write_entity_bucket``; memory
    holds one file's entity columns or one bucket at a time; returns None (the results are in
    ``work``)."""
    from fraudforge.features.batch import load_kernels

    # The first kernel call loads Numba's registries, about 0.1 s of Python: on a thread of its
    # own it runs while the files are read, which Polars does without the GIL.
    loading = ThreadPoolExecutor(max_workers=1, thread_name_prefix="features-load")
    loaded = loading.submit(load_kernels)
    loading.shutdown(wait=False)
    if buckets == 1:
        progress(ENTITY_STEP, 0, 1)
        part = pl.concat([tag_file(i, path, 1) for i, path in enumerate(files)])
        loaded.result()
        offsets = np.cumsum([0, *sizes], dtype=np.int64)
        results = np.zeros((int(offsets[-1]), len(ENTITY_FEATURES)), dtype=np.float64)

        def put_back(kind: EntityKind, source: I64, row: I64, values: F64) -> None:
            at = offsets[source] + row  # the rows' positions in the dataset
            for name, j in kind.features:  # each kind its own columns: the threads never meet
                results[at, ENTITY_FEATURES.index(name)] = values[:, j]

        run_entity_bucket(part, put_back)
        del part
        progress(ENTITY_STEP, 1, 1)
        return [results[a:b].copy() for a, b in itertools.pairwise(offsets.tolist())]
    for i, path in enumerate(files):
        progress(SPLIT_STEP, i, len(files))
        split_file(i, path, buckets, work)
    progress(SPLIT_STEP, len(files), len(files))
    loaded.result()
    for b in range(buckets):
        progress(ENTITY_STEP, b, buckets)
        reduce_bucket(b, work)
    progress(ENTITY_STEP, buckets, buckets)
    return None


def split_file(index: int, path: str | Path, buckets: int, work: Path) -> int:
    """The map side of the entity phase's disk shuffle: transactions file ``index``'s tagged
    rows (``tag_file``) split by bucket into ``work/shuffle/BUCKET/FILE.arrow`` (no file for a
    bucket none of its rows go to). Returns the tagged rows written."""
    tagged = tag_file(index, path, buckets)
    for (b,), rows in tagged.partition_by("bucket", as_dict=True).items():
        target = work / "shuffle" / f"{b:05d}" / f"{index:05d}.arrow"
        target.parent.mkdir(parents=True, exist_ok=True)
        rows.write_ipc(target)
    return tagged.height


def reduce_bucket(bucket: int, work: Path) -> int:
    """The reduce side: bucket ``bucket``'s pieces from every file (``split_file``) through
    ``write_entity_bucket``, then the pieces deleted. Returns the bucket's tagged rows."""
    folder = work / "shuffle" / f"{bucket:05d}"
    pieces = sorted(folder.glob("*.arrow"))
    if not pieces:
        return 0
    part = pl.concat([pl.read_ipc(piece) for piece in pieces])
    write_entity_bucket(part, bucket, work)
    shutil.rmtree(folder)
    return part.height


def write_entity_bucket(part: pl.DataFrame, bucket: int, work: Path) -> None:
    """Merchant-, device- and payee-side features of one bucket's rows ``part`` (``tag_file``'s
    rows of every file whose merchant, device or payee is in the bucket), through
    ``run_entity_bucket``, written per kind and source file as ``work/KIND/FILE-BUCKET.arrow``."""

    def write(kind: EntityKind, source: I64, row: I64, values: F64) -> None:
        out = pl.DataFrame(
            {"row": row, "source": source, **{name: values[:, j] for name, j in kind.features}}
        )
        (work / kind.name).mkdir(parents=True, exist_ok=True)
        for (src,), rows in out.group_by("source"):
            rows.drop("source").write_ipc(work / kind.name / f"{src:05d}-{bucket:05d}.arrow")

    run_entity_bucket(part, write)


EntitySink = Callable[["EntityKind", "I64", "I64", "F64"], None]
"""Where ``run_entity_bucket`` sends each entity kind's results: ``sink(kind, source, row,
values)``, the rows of that kind only, each with its ``source`` file and its ``row`` in that
file (where the customer phase puts it back), and the entity kernel's outputs for them,
(rows, ``kernels.N_ENTITY_OUT``), of which ``kind.features`` are the kind's features."""


def run_entity_bucket(part: pl.DataFrame, sink: EntitySink) -> None:
    """The entity kernel over one bucket's tagged rows ``part``: each kind's rows go through it
    in (entity, timestamp, transaction_id) order, the kinds side by side (two threads), and
    ``sink`` gets each kind's results (``EntitySink``), from the thread that computed them."""
    from fraudforge.features.batch import ENTITY_KINDS, entity_rows, payee_ids, time_order

    if part.height == 0:
        return
    t = part["timestamp"].dt.epoch("us").to_numpy()
    customer = part["customer_id"].to_numpy()
    amount = part["amount_inr"].to_numpy()
    is_fraud = part["is_fraud"].to_numpy()
    known_at = part["label_known_at"].dt.epoch("us").to_numpy()
    transaction_id = part["transaction_id"].to_numpy()
    source = part["source"].to_numpy()
    row = part["row"].to_numpy()
    with ThreadPoolExecutor(max_workers=2) as pool:
        timed = pool.submit(time_order, t, transaction_id)  # beside the payees' hashing
        ids = {
            "merchant": part[_MERCHANT].fill_null(-1).to_numpy(),
            "device": part[_DEVICE].fill_null(-1).to_numpy(),
            "payee": payee_ids(part[_MERCHANT], part[_PAYEE]),
        }
        by_time = timed.result()

    def run(i: int) -> None:
        kind = ENTITY_KINDS[i]
        entity = np.where(part[f"in_{kind.name}"].to_numpy(), ids[kind.name], -1)
        order, values = entity_rows(
            entity, t, customer, amount, is_fraud, known_at, transaction_id,
            wide=kind.wide, by_time=by_time,
        )  # fmt: skip
        del entity
        sink(kind, source[order], row[order], values)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(run, range(len(ENTITY_KINDS))))


def _entity_for(work: Path, file_index: int, rows: int) -> F64:
    """The entity-phase results of source file ``file_index`` (``rows`` rows) as a (rows, 8)
    matrix in the file's row order and ``ENTITY_FEATURES`` order: each result put back at its
    ``row``, zeros where a row has no merchant, device or payee."""
    from fraudforge.features.batch import ENTITY_KINDS

    out = np.zeros((rows, len(ENTITY_FEATURES)), dtype=np.float64)
    for kind in ENTITY_KINDS:
        for path in sorted((work / kind.name).glob(f"{file_index:05d}-*.arrow")):
            _put_back(out, kind.name, pl.read_ipc(path))
    return out


def _put_back(out: F64, kind: str, piece: pl.DataFrame) -> None:
    """Entity results of ``kind`` (``row`` and the kind's features) into a file's (rows, 8)
    matrix ``out``, at their rows and ``ENTITY_FEATURES`` columns."""
    from fraudforge.features.batch import ENTITY_KINDS

    at = piece["row"].to_numpy()
    for name, _ in next(k for k in ENTITY_KINDS if k.name == kind).features:
        out[at, ENTITY_FEATURES.index(name)] = piece[name].to_numpy()


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
        raise DataError(
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
    batch_rows: int = FEATURE_BATCH_ROWS,
    progress: ProgressFn = ignore,
) -> FeaturesManifest:
    """Compute the features of dataset ``data`` into directory ``out``, file by file, reporting
    to ``progress`` (``ENTITY_STEP`` in buckets, then ``CUSTOMER_STEP`` in rows, batch by
    batch).

    Memory holds one entity bucket, or one transactions file's ordering columns and entity
    results and two batches of at most about ``batch_rows`` rows of its features, at a time:
    merchant- and device-side features come from a first, bucketed pass over all files;
    customer-side features from each file alone (a file holds whole shards, so whole
    customers), each batch's rows read from the file on their own (``file_batches``).
    ``memory_limit`` (bytes) sets the number of buckets (see ``entity_buckets``). The outlier
    model is fitted on the first file unless given. Large freed blocks go back to the system
    from here on (``return_freed_memory``): without it, glibc keeps them and the peak nearly
    doubles.

    Parameters
    ----------
    data
        A dataset directory written by ``generate`` in Parquet format.
    out
        The features directory. It is written as a hidden sibling and renamed into place when
        complete, so an interrupted run leaves ``out`` as it was.
    overwrite
        Replace ``out`` if it is a non-empty directory that fraudforge wrote (it holds a
        ``features.json``); without it, a non-empty ``out`` is refused.
    threads
        Threads the kernels split a batch's customers and rows across, at least 1; default:
        the usable cores.
    memory_limit
        Bytes that the fullest entity bucket must fit in beside the process's fixed memory
        (``entity_buckets``); default: no limit (``default_buckets``: one up to
        ``2 * ENTITY_BUCKET_ROWS`` rows, else buckets of about ``ENTITY_BUCKET_ROWS``).
    outlier
        The outlier model to score with (a training set's, for features of a test set);
        default: fitted on the first transactions file.
    batch_rows
        Rows of features computed at once, at least 1 (whole customers: a batch ends at the
        first customer at or after each multiple); a file with more rows is written as one
        part file per batch.
    progress
        Called with ``(step, done, total)``: ``SPLIT_STEP`` in files (with more than one
        bucket) and ``ENTITY_STEP`` in buckets, then ``CUSTOMER_STEP`` in rows.

    Returns
    -------
    FeaturesManifest
        What ``out/features.json`` now holds: the catalogue's hash, the features, the source
        dataset and its content hash, the rows, the outlier model and the files.

    Raises
    ------
    FeaturesOptionError
        When ``batch_rows`` is below 1 (a ``ValueError``).
    FileNotFoundError
        When ``data`` has no ``manifest.json``.
    ValueError
        When ``data`` is in Arrow IPC format, or ``memory_limit`` is too small for its
        largest transactions file (naming the least it allows).
    SchemaVersionError
        When the dataset's schema version is not one this fraudforge reads.
    OutputExistsError
        When ``out`` is a file, or a non-empty directory and ``overwrite`` is not given.
    UnsafeOutputError
        When ``out`` is a directory fraudforge refuses to replace, or, with ``overwrite``,
        one without a ``features.json``.

    Examples
    --------
    >>> from fraudforge.features import build_features, read_features
    >>> manifest = build_features("data", "features")
    >>> manifest, table = read_features("features", dataset="data")
    """
    from fraudforge.foundation.machine import return_freed_memory

    started = time.perf_counter()
    batch_bounds(np.zeros(0, dtype=np.int64), batch_rows)  # refuse a bad batch size up front
    return_freed_memory()
    src, manifest = source_dataset(data)
    buckets = entity_buckets(manifest, memory_limit)
    dest = Path(out)
    check_target(dest, overwrite, marker="features.json")
    tx = [f for f in manifest.files if f["path"].startswith("transactions/")]
    tx_files = [src / f["path"] for f in tx]
    with staged_directory(dest) as work, contextlib.ExitStack() as stack:
        (work / "features").mkdir()
        entity = _entity_phase(
            tx_files, [int(f["rows"]) for f in tx], buckets, work / ".entity", progress
        )
        customers = (
            scan_dataset(src, "customers").select("customer_id", "home_lat", "home_lon").collect()
        )
        files: list[str] = []
        rows = 0
        model = outlier
        total = manifest.rows["transactions"]
        writer = stack.enter_context(FeaturesWriter())
        for i, path in enumerate(tx_files):
            progress(CUSTOMER_STEP, rows, total)
            part = write_feature_part(
                path,
                i,
                customers,
                work,
                outlier=model,
                threads=threads,
                batch_rows=batch_rows,
                progress=functools.partial(_rows_done, progress, rows, total),
                entity=None if entity is None else entity[i],
                writer=writer,
            )
            if entity is not None:
                entity[i] = np.zeros((0, len(ENTITY_FEATURES)))  # freed once used
            files += part.files
            rows += part.rows
            model = part.outlier
        writer.wait()
        progress(CUSTOMER_STEP, rows, total)
        assert model is not None
        return finish_features(work, src, manifest.content_hash, rows, model, files, started)


def _rows_done(progress: ProgressFn, before: int, total: int, done: int) -> None:
    """``CUSTOMER_STEP`` progress from a file's rows done, after ``before`` rows of earlier
    files."""
    progress(CUSTOMER_STEP, before + done, total)


class FeaturesOptionError(ConfigError):
    """An option of ``build_features`` outside its allowed range."""


class FeaturePart(NamedTuple):
    """What ``write_feature_part`` wrote for one transactions file."""

    files: list[str]
    """Its features files, relative to the features directory, in row order."""
    rows: int
    outlier: OutlierModel
    """The outlier model used (fitted on this file when none was given)."""


def batch_bounds(customer: I64, batch_rows: int) -> list[int]:
    """Row bounds [0, ..., n] of batches of whole customers (``customer`` sorted): each cut is
    the first customer start at or after a multiple of ``batch_rows``."""
    if batch_rows < 1:
        raise FeaturesOptionError(
            f"batch_rows={batch_rows} is invalid: allowed is at least 1 (rows of features in "
            f"memory at once; default {FEATURE_BATCH_ROWS:,})"
        )
    n = customer.shape[0]
    change = np.flatnonzero(customer[1:] != customer[:-1]) + 1
    targets = np.arange(batch_rows, n, batch_rows)
    at = np.searchsorted(change, targets)
    cuts = {int(change[j]) for j in at if j < change.shape[0]}
    return [0, *sorted(cuts), n]


def _fit_outlier(
    columns: Callable[[int, int], Columns], bounds: list[int], threads: int | None
) -> OutlierModel:
    """The outlier model ``OutlierModel.fit`` learns from a whole file's feature matrix, found
    batch by batch: the customer features of each batch (``columns(lo, hi)``), kept only at the
    sampled rows."""
    from fraudforge.features.batch import customer_features
    from fraudforge.features.layout import LAYOUT, outlier_inputs

    sampled = sample_rows(bounds[-1])
    inputs = []
    for lo, hi in itertools.pairwise(bounds):
        batch = columns(lo, hi)
        m = np.empty((hi - lo, len(LAYOUT)), dtype=np.float64, order="F")
        customer_features(batch, m, threads=threads)
        rows = sampled[(sampled >= lo) & (sampled < hi)] - lo
        inputs.append(outlier_inputs(m, batch.amount, rows))
    return OutlierModel.fit_inputs(np.concatenate(inputs))


def write_feature_part(
    path: Path,
    index: int,
    customers: pl.DataFrame,
    work: Path,
    *,
    outlier: OutlierModel | None,
    threads: int | None,
    batch_rows: int = FEATURE_BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
    entity: F64 | None = None,
    writer: FeaturesWriter | None = None,
) -> FeaturePart:
    """Features of transactions file ``path`` (number ``index``), with its entity-phase results
    (``entity``, in the file's row order, else read from ``work/.entity``), into
    ``work/features/part-INDEX.parquet`` (or, when the file has more than ``batch_rows`` rows,
    ``part-INDEX-BATCH.parquet`` per batch of whole customers).

    The file streams: its ordering columns are read first, to cut batches of whole customers
    and align the entity results, then each batch's rows alone (``file_batches``; a file of
    one batch is read once, whole); each batch's kernel inputs and matrix are computed, then
    written by a background thread while the next is computed (memory holds two batches, not
    the file); ``progress`` gets the file's rows done after each batch. Without ``outlier``
    the model is fitted on this file, exactly as on its whole matrix. With ``writer`` (the
    caller's, shared across files) the last batch may still be being written on return;
    without, every write is done."""
    from fraudforge.features.batch import feature_matrix, prepare, to_frame

    keys, rows, order = file_batches(path, whole_rows=batch_rows)
    n = keys.height
    if entity is None:
        entity = _entity_for(work / ".entity", index, n)
    elif entity.shape[0] != n:
        raise DataError(f"{path}: {n:,} rows, but its entity results have {entity.shape[0]:,}")
    if order is not None:
        entity = entity[order]
    bounds = batch_bounds(keys["customer_id"].to_numpy(), batch_rows)
    del keys, order
    split = len(bounds) > 2

    def columns(lo: int, hi: int) -> Columns:
        return prepare(rows(lo, hi), customers)[1]

    model = outlier if outlier is not None or not split else _fit_outlier(columns, bounds, threads)
    files: list[str] = []
    with contextlib.ExitStack() as stack:
        if writer is None:
            writer = stack.enter_context(FeaturesWriter())
        for b, (lo, hi) in enumerate(itertools.pairwise(bounds)):
            df, batch = prepare(rows(lo, hi), customers)
            m, model = feature_matrix(batch, outlier=model, threads=threads, entity=entity[lo:hi])
            frame = to_frame(batch.transaction_id, m, df.select(TRAINING_LABELS))
            del df, batch, m
            name = f"features/part-{index:05d}" + (f"-{b:03d}" if split else "") + ".parquet"
            writer.submit(frame, work / name)
            del frame
            files.append(name)
            if progress is not None:
                progress(hi)
    assert model is not None
    return FeaturePart(files=files, rows=n, outlier=model)


class FeaturesWriter:
    """Writes features tables to Parquet on a background thread, one at a time, while the
    caller computes the next: ``submit`` first waits for the previous write, so memory holds
    the table being written and the one being computed, never more. One writer across files
    lets a file's last write overlap the next file's work. A write's error is raised by the
    next ``submit`` or on leaving the ``with`` block, which waits for the last write."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="features-writer")
        self._pending: Future[None] | None = None

    def submit(self, frame: pl.DataFrame, path: Path) -> None:
        """Write ``frame`` to ``path`` once the previous write is done, in the background."""
        self.wait()
        self._pending = self._pool.submit(
            frame.write_parquet, path, compression=FEATURES_COMPRESSION
        )

    def wait(self) -> None:
        """Wait for the write in flight, raising its error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> FeaturesWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)


def file_batches(
    path: Path, *, whole_rows: int = 0
) -> tuple[pl.DataFrame, Callable[[int, int], pl.DataFrame], I64 | None]:
    """A transactions file's ordering columns (``batch.FEATURE_ORDER``), rows in feature order;
    a reader of its rows [lo, hi) in that order, with the columns the features read; and the
    file row of each row in that order (None when they are the same).

    A generated file's rows are in feature order already (docs/schema.md): a batch is a slice
    of the file, read from its own row groups, so the whole file is never in memory. A file of
    at most ``whole_rows`` rows (one batch's worth) is read once, whole, rather than its
    ordering columns and then its rows. A file in another order is read whole and sorted once,
    as before batches streamed."""
    from fraudforge.features.batch import FEATURE_INPUTS, FEATURE_ORDER, in_feature_order

    present = pl.read_parquet_schema(path)
    wanted = [c for c in dict.fromkeys((*FEATURE_INPUTS, *TRAINING_LABELS)) if c in present]
    whole: pl.DataFrame | None = None
    if whole_rows > 0 and _parquet_rows(path) <= whole_rows:
        whole = pl.read_parquet(path, columns=wanted)
        keys = whole.select(FEATURE_ORDER)
    else:
        keys = pl.read_parquet(path, columns=list(FEATURE_ORDER))
    if in_feature_order(keys):
        if whole is not None:
            read = whole
            return keys, lambda lo, hi: read.slice(lo, hi - lo), None
        scan = pl.scan_parquet(path).select(wanted)
        return keys, lambda lo, hi: scan.slice(lo, hi - lo).collect(), None
    whole = (
        (pl.read_parquet(path, columns=wanted) if whole is None else whole)
        .with_row_index("_file_row")
        .sort(*FEATURE_ORDER, maintain_order=True)
    )
    order = whole["_file_row"].to_numpy().astype(np.int64)
    whole = whole.drop("_file_row")
    return whole.select(FEATURE_ORDER), lambda lo, hi: whole.slice(lo, hi - lo), order


def _parquet_rows(path: Path) -> int:
    """A Parquet file's row count, from its footer."""
    return int(pl.scan_parquet(path).select(pl.len()).collect().item())


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


class FeaturesMismatchError(DataError):
    """A features directory computed from another dataset than the one it is used with: the
    rows would still join (transaction ids repeat across seeds and presets), silently wrong.

    Parameters
    ----------
    features
        The features directory.
    data
        The dataset directory it was to be used with.
    recorded
        The source content hash ``features.json`` records.
    actual
        ``data``'s content hash (its manifest's).
    """

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
    (``FeaturesMismatchError``).

    Parameters
    ----------
    path
        A features directory written by ``build_features``.
    dataset
        The dataset directory the features are to be used with (joined to its transactions,
        say); default: no check.

    Returns
    -------
    tuple[FeaturesManifest, polars.LazyFrame]
        What ``features.json`` holds, and a scan of the features files in order:
        ``transaction_id``, the features in catalogue order, then the label columns.

    Raises
    ------
    FileNotFoundError
        When ``path`` has no ``features.json``, or ``dataset`` no ``manifest.json``.
    FeaturesMismatchError
        When ``dataset`` is given and is not the dataset the features were computed from.
    SchemaVersionError
        When ``dataset``'s schema version is not one this fraudforge reads.
    """
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
