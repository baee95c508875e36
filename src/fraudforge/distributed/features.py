"""Computing a dataset's features on a Ray cluster, equal to ``fraudforge.build_features``.

Two phases, both exact:

1. Merchant and device features need every row of an entity. A task per transactions file
   reads the entity columns and tags each row with the hash bucket of its merchant and of its
   device (a row whose two buckets differ is sent to both); Ray Data's hash shuffle
   (``groupby("bucket")``) brings each bucket's rows together as Arrow blocks, and a task per
   bucket runs the local entity kernel on them and writes the results per source file.
2. Customer features need only a file's own rows (a file holds whole customers): a task per
   file joins its entity results and writes its features part. The outlier model is fitted on
   the first file, as locally, so that file runs first and the others after it, in parallel.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import ModuleType

import msgspec
import polars as pl
import pyarrow as pa

from fraudforge.distributed.cluster import cluster_cpus, one_task_each, ray_cluster
from fraudforge.engine.atomic import check_target, staged_directory
from fraudforge.features.outlier import OutlierModel
from fraudforge.features.pipeline import (
    ENTITY_BUCKET_ROWS,
    ENTITY_INPUTS,
    KINDS,
    FeaturesManifest,
    StageFn,
    entity_bucket,
    finish_features,
    source_dataset,
    write_entity_bucket,
    write_feature_part,
)

_MERCHANT, _DEVICE = (column for _, column, _ in KINDS)


class _EntityRows:
    """Map side of the shuffle: one file's entity inputs, each row tagged with the bucket(s) it
    belongs to and whether it is there for its merchant, its device or both."""

    def __init__(self, buckets: int) -> None:
        self.buckets = buckets

    def _bucket(self, column: str) -> pl.Expr:
        """The entity's bucket, null where the row has no such entity."""
        return pl.when(pl.col(column).is_not_null()).then(entity_bucket(column, self.buckets))

    def __call__(self, batch: pa.Table) -> pa.Table:
        frames = []
        for index, path in zip(batch["file"].to_pylist(), batch["path"].to_pylist(), strict=True):
            df = pl.read_parquet(path, columns=[_MERCHANT, _DEVICE, *ENTITY_INPUTS])
            tagged = df.with_columns(
                self._bucket(_MERCHANT).alias("_m"),
                self._bucket(_DEVICE).alias("_d"),
                source=pl.lit(index, pl.Int64),
            )
            by_merchant = tagged.filter(pl.col("_m").is_not_null()).with_columns(
                bucket=pl.col("_m"),
                in_merchant=pl.lit(True),
                in_device=(pl.col("_d") == pl.col("_m")).fill_null(False),
            )
            other = pl.col("_m").is_null() | (pl.col("_d") != pl.col("_m"))
            by_device_only = tagged.filter(pl.col("_d").is_not_null() & other).with_columns(
                bucket=pl.col("_d"), in_merchant=pl.lit(False), in_device=pl.lit(True)
            )
            frames += [by_merchant.drop("_m", "_d"), by_device_only.drop("_m", "_d")]
        return pl.concat(frames).to_arrow()


def _entity_bucket(group: pa.Table, work: str, files: int) -> pa.Table:
    """Reduce side of the shuffle: one bucket's rows through the local entity kernel."""
    part = pl.from_arrow(group)
    assert isinstance(part, pl.DataFrame)
    bucket = int(part["bucket"][0])
    write_entity_bucket(part, bucket, Path(work), {i: i for i in range(files)})
    return pa.table({"bucket": [bucket], "rows": [part.height]})


class _FeaturePart:
    """The customer phase of one file, with its entity results and its own customers."""

    def __init__(self, work: Path, outlier: OutlierModel | None) -> None:
        self.work, self.outlier = work, outlier

    def __call__(self, batch: pa.Table) -> pa.Table:
        out: dict[str, list[object]] = {"file": [], "rows": [], "outlier": []}
        for index, path, customers in zip(
            *(batch[c].to_pylist() for c in ("file", "path", "customers")), strict=True
        ):
            homes = pl.read_parquet(customers, columns=["customer_id", "home_lat", "home_lon"])
            rows, model = write_feature_part(
                Path(path), index, homes, self.work, outlier=self.outlier, threads=1
            )
            out["file"].append(index)
            out["rows"].append(rows)
            out["outlier"].append(msgspec.json.encode(model))
        return pa.table(out)


def _feature_parts(
    ray: ModuleType,
    items: list[dict[str, object]],
    work: Path,
    outlier: OutlierModel | None,
    say: StageFn,
    done: dict[int, tuple[int, OutlierModel]],
    total: int,
) -> None:
    """Run the customer phase of ``items`` as one task each, recording (rows, model) per file."""
    parts = one_task_each(ray, items).map_batches(
        _FeaturePart(work, outlier), batch_size=1, batch_format="pyarrow", num_cpus=1
    )
    for row in parts.iter_rows():
        model = msgspec.json.decode(row["outlier"], type=OutlierModel)
        done[row["file"]] = (row["rows"], model)
        say(f"customer features, {len(done)} of {total} files")


def build_features(
    data: str | Path,
    out: str | Path,
    *,
    overwrite: bool = False,
    outlier: OutlierModel | None = None,
    buckets: int | None = None,
    address: str | None = None,
    stage: StageFn | None = None,
) -> FeaturesManifest:
    """Compute the features of dataset ``data`` into ``out`` on a Ray cluster; the result equals
    ``fraudforge.features.build_features``'s. ``buckets`` entity buckets (default: enough for
    the local memory bound, and at least one per cluster CPU) split the merchant/device phase;
    ``data`` and ``out`` must be on storage every node mounts at the same path."""
    started = time.perf_counter()
    src, manifest = source_dataset(data)
    src = src.absolute()
    if buckets is not None and buckets < 1:
        raise ValueError(f"buckets={buckets} must be at least 1")
    dest = Path(out).absolute()
    check_target(dest, overwrite)
    say = stage or (lambda _: None)
    paths = {
        table: [str(src / f["path"]) for f in manifest.files if f["path"].startswith(f"{table}/")]
        for table in ("transactions", "customers")
    }
    if len(paths["transactions"]) != len(paths["customers"]):
        raise ValueError(
            f"{src}: {len(paths['transactions'])} transactions files but "
            f"{len(paths['customers'])} customers files; a dataset written by "
            "`fraudforge generate` has one customers file per transactions file"
        )
    items: list[dict[str, object]] = [
        {"file": i, "path": tx, "customers": cu}
        for i, (tx, cu) in enumerate(zip(paths["transactions"], paths["customers"], strict=True))
    ]
    with ray_cluster(address) as ray, staged_directory(dest) as work:
        (work / "features").mkdir()
        n = buckets or max(
            -(-manifest.rows["transactions"] // ENTITY_BUCKET_ROWS), cluster_cpus(ray)
        )
        say(f"merchant and device features, {n} buckets")
        tagged = one_task_each(ray, [{"file": i["file"], "path": i["path"]} for i in items])
        reduced = (
            tagged.map_batches(_EntityRows(n), batch_size=1, batch_format="pyarrow", num_cpus=1)
            .groupby("bucket", num_partitions=n)
            .map_groups(
                _entity_bucket,
                batch_format="pyarrow",
                fn_args=(str(work / ".entity"), len(items)),
            )
        )
        for finished, _ in enumerate(reduced.iter_rows(), start=1):
            say(f"merchant and device features, bucket {finished} of {n}")
        done: dict[int, tuple[int, OutlierModel]] = {}
        if outlier is None:
            _feature_parts(ray, items[:1], work, None, say, done, len(items))
            outlier = done[0][1]
            items = items[1:]
        _feature_parts(ray, items, work, outlier, say, done, len(done) + len(items))
        rows = sum(r for r, _ in done.values())
        files = [f"features/part-{i:05d}.parquet" for i in sorted(done)]
        return finish_features(work, src, manifest.content_hash, rows, outlier, files, started)
