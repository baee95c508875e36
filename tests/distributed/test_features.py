"""Features on Ray equal the local pipeline's, whatever the number of entity buckets; the
shuffle's map side sends each row to the bucket of its merchant and of its device, once each."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from fraudforge import distributed
from fraudforge.distributed.features import _map_file, _reduce_bucket
from fraudforge.engine.dataset import Manifest
from fraudforge.features.pipeline import (
    ENTITY_STEP,
    SPLIT_STEP,
    FeaturesManifest,
    build_features,
    entity_bucket,
    read_features,
    tag_file,
)


@pytest.fixture(scope="module")
def local_features(
    local_data: tuple[Path, Manifest], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, pl.DataFrame]:
    """The local pipeline's features of the reference dataset, sorted by transaction_id."""
    out = tmp_path_factory.mktemp("features") / "local"
    build_features(local_data[0], out)
    return out, read_features(out)[1].collect().sort("transaction_id")


@pytest.mark.parametrize("buckets", [None, 1, 7])
def test_ray_features_equal_local(
    cluster: ModuleType,
    local_data: tuple[Path, Manifest],
    local_features: tuple[Path, pl.DataFrame],
    tmp_path: Path,
    buckets: int | None,
) -> None:
    """Every feature value, label and manifest field (but the timing) equals the local run."""
    reports: list[tuple[str, int, int | None]] = []
    m = distributed.build_features(
        local_data[0],
        tmp_path / "ray",
        buckets=buckets,
        progress=lambda step, done, total: reports.append((step, done, total)),
    )
    local_manifest, _ = read_features(local_features[0])
    ours_manifest, lf = read_features(tmp_path / "ray")
    assert ours_manifest == m
    for field in FeaturesManifest.__struct_fields__:
        if field == "seconds":
            continue
        assert getattr(m, field) == getattr(local_manifest, field), field
    ours = lf.collect().sort("transaction_id")
    assert ours.equals(local_features[1])
    assert ours.height == local_data[1].rows["transactions"]
    rows = local_data[1].rows["transactions"]
    assert reports[-1] == ("customer features", rows, rows)
    entity = [r for r in reports if r[0] == ENTITY_STEP]
    assert entity[-1][1] == entity[-1][2] == (buckets or entity[-1][2])  # every bucket
    split = [r for r in reports if r[0] == SPLIT_STEP]
    tx_files = sum(f["path"].startswith("transactions/") for f in local_data[1].files)
    assert split[0][1:] == (0, tx_files)
    assert split[-1][1] == split[-1][2]
    assert not (tmp_path / "ray" / ".entity").exists()


def test_given_outlier_model_runs_every_file_at_once(
    cluster: ModuleType,
    local_data: tuple[Path, Manifest],
    local_features: tuple[Path, pl.DataFrame],
    tmp_path: Path,
) -> None:
    """With the outlier model given (here the one the local run fitted), the result is the
    same and uses that model."""
    model = read_features(local_features[0])[0].outlier
    m = distributed.build_features(local_data[0], tmp_path / "ray", outlier=model)
    assert m.outlier == model
    assert (
        read_features(tmp_path / "ray")[1]
        .collect()
        .sort("transaction_id")
        .equals(local_features[1])
    )


def test_shuffle_tags_rows_by_entity_bucket(tmp_path: Path) -> None:
    """A row goes to its merchant's bucket, its device's and its P2P payee's, once per distinct
    bucket; rows with none go nowhere; the in_ flags say which entities a row is there for."""
    buckets = 3
    ids = pl.DataFrame({"merchant_id": list(range(12)), "device_id": list(range(100, 112))})
    b = ids.select(
        entity_bucket("merchant_id", buckets).alias("m"),
        entity_bucket("device_id", buckets).alias("d"),
    )
    same = next(i for i in range(12) if b["m"][i] == b["d"][i])
    other = next(i for i in range(12) if b["m"][i] != b["d"][i])
    payee = pl.DataFrame({"p": ["p@upi"]}).select(entity_bucket("p", buckets))["p"][0]
    df = pl.DataFrame(
        {
            "merchant_id": [same, other, None, other, None],
            "device_id": [100 + same, 100 + other, 100 + other, None, None],
            "counterparty": ["m@upi", "m@upi", "p@upi", "m@upi", None],
            "transaction_id": [1, 2, 3, 4, 5],
            "customer_id": [1, 1, 2, 2, 3],
            "timestamp": pl.datetime_range(
                pl.datetime(2025, 1, 1), pl.datetime(2025, 1, 5), "1d", eager=True
            ),
            "amount_inr": [1.0, 2.0, 3.0, 4.0, 5.0],
            "is_fraud": [False] * 5,
            "label_known_at": pl.datetime_range(
                pl.datetime(2025, 2, 1), pl.datetime(2025, 2, 5), "1d", eager=True
            ),
        },
        schema_overrides={"merchant_id": pl.Int64, "device_id": pl.Int64},
    )
    path = tmp_path / "part-00000.parquet"
    df.write_parquet(path)
    got = tag_file(4, str(path), buckets)
    columns = ("transaction_id", "bucket", "in_merchant", "in_device", "in_payee", "source")
    rows = got.select(columns).sort("transaction_id", "bucket")
    device3 = b["d"][other]
    # Row 3 (P2P) goes to its device's bucket and its payee's: once if they are the same.
    row3 = (
        [(3, device3, False, True, True, 4)]
        if payee == device3
        else sorted([(3, device3, False, True, False, 4), (3, payee, False, False, True, 4)])
    )
    expected = sorted(
        [
            (1, b["m"][same], True, True, False, 4),
            (2, b["d"][other], False, True, False, 4),
            (2, b["m"][other], True, False, False, 4),
            *row3,
            (4, b["m"][other], True, False, False, 4),
        ]
    )
    assert rows.rows() == expected


def test_bad_bucket_count_is_named(local_data: tuple[Path, Manifest], tmp_path: Path) -> None:
    """Zero buckets is refused with the allowed range."""
    with pytest.raises(ValueError, match="buckets=0 must be at least 1"):
        distributed.build_features(local_data[0], tmp_path / "f", buckets=0)


def test_map_side_splits_a_file_into_every_bucket(
    local_data: tuple[Path, Manifest], tmp_path: Path
) -> None:
    """A file's piece for each bucket holds exactly that bucket's tagged rows, and no piece
    where none go; a bucket's reduce reads its pieces, writes its results and deletes them; an
    empty bucket's reduce writes nothing."""
    path = str(local_data[0] / "transactions" / "part-00000.parquet")
    tagged = tag_file(0, path, 5)
    assert _map_file(0, path, 5, str(tmp_path)) == tagged.height
    for b in range(5):
        piece = tmp_path / "shuffle" / f"{b:05d}" / "00000.arrow"
        expected = tagged.filter(pl.col("bucket") == b)
        assert piece.exists() == (expected.height > 0)
        if expected.height:
            assert pl.read_ipc(piece).equals(expected)
    in_three = tagged.filter(pl.col("bucket") == 3).height
    assert in_three > 0
    assert _reduce_bucket(3, str(tmp_path), 1, 2) == in_three
    assert not (tmp_path / "shuffle" / "00003").exists()
    assert list(tmp_path.glob("*/00000-00003.arrow"))
    empty = tmp_path / "empty"
    assert _reduce_bucket(3, str(empty)) == 0
    assert not empty.exists()
