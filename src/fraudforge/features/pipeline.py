"""``fraudforge features --in DATA --out FEATURES``: the features of a generated dataset, written
as Parquet keyed by transaction_id with the label columns, plus ``features.json`` (catalogue
hash, outlier model, source dataset hash, row counts). Written atomically like datasets."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import polars as pl

from fraudforge.engine.dataset import read_manifest, scan_dataset
from fraudforge.engine.errors import OutputExistsError
from fraudforge.features.batch import compute_features
from fraudforge.features.catalog import CATALOG
from fraudforge.features.outlier import OutlierModel

StageFn = Callable[[str], None]


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
    text = json.dumps([dataclasses.asdict(f) for f in CATALOG])
    return hashlib.sha256(text.encode()).hexdigest()


def build_features(
    data: str | Path,
    out: str | Path,
    *,
    overwrite: bool = False,
    threads: int | None = None,
    outlier: OutlierModel | None = None,
    stage: StageFn | None = None,
) -> FeaturesManifest:
    """Compute the features of dataset ``data`` into directory ``out``.

    The whole dataset's transactions are held in memory (merchant- and device-side features
    need every customer's rows of a merchant in time order).
    """
    started = time.perf_counter()
    src = Path(data)
    if not (src / "manifest.json").is_file():
        raise FileNotFoundError(
            f"{src} is not a fraudforge dataset (no manifest.json): "
            "pass a directory written by `fraudforge generate`"
        )
    dest = Path(out)
    if dest.exists() and (not dest.is_dir() or (any(dest.iterdir()) and not overwrite)):
        raise OutputExistsError(str(dest))
    manifest = read_manifest(src)
    say = stage or (lambda _: None)
    say("reading transactions")
    tx = scan_dataset(src).collect()
    customers = (
        scan_dataset(src, "customers").select("customer_id", "home_lat", "home_lon").collect()
    )
    say(f"computing {len(CATALOG)} features of {tx.height:,} transactions")
    frame, model = compute_features(tx, customers, outlier=outlier, threads=threads)
    say("writing")
    work = dest.parent / f".{dest.name}.partial-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "features").mkdir(parents=True)
    try:
        part = work / "features" / "part-00000.parquet"
        frame.write_parquet(part, compression="zstd", compression_level=1)
        result = FeaturesManifest(
            catalog_hash=catalog_hash(),
            features=[f.name for f in CATALOG],
            source=str(src),
            source_content_hash=manifest.content_hash,
            rows=frame.height,
            outlier=model,
            files=[f"features/{part.name}"],
            seconds=round(time.perf_counter() - started, 3),
        )
        (work / "features.json").write_bytes(msgspec.json.format(msgspec.json.encode(result)))
        if dest.exists():
            old = dest.parent / f".{dest.name}.old-{os.getpid()}"
            dest.rename(old)
            work.rename(dest)
            shutil.rmtree(old)
        else:
            work.rename(dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return result


def read_features(path: str | Path) -> tuple[FeaturesManifest, pl.LazyFrame]:
    """A features directory's manifest and its table."""
    root = Path(path)
    m = msgspec.json.decode((root / "features.json").read_bytes(), type=FeaturesManifest)
    return m, pl.scan_parquet([root / f for f in m.files])


def catalog_rows() -> list[dict[str, Any]]:
    """The catalogue as plain rows (for printing)."""
    return [
        {
            "name": f.name,
            "group": f.group,
            "dtype": f.dtype,
            "unit": f.unit,
            "window": f.window,
            "definition": f.definition,
        }
        for f in CATALOG
    ]
