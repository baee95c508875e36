"""A memory limit sets the entity buckets of `fraudforge features`; the features stay exact."""

from __future__ import annotations

from pathlib import Path

import msgspec
import polars as pl
import pytest

from fraudforge.engine.dataset import Manifest, generate
from fraudforge.engine.scenario import Scenario
from fraudforge.features.pipeline import (
    BUCKET_SLACK,
    CUSTOMER_ROW_BYTES,
    ENTITY_BUCKET_ROWS,
    ENTITY_RESULT_BYTES,
    ENTITY_ROW_BYTES,
    FEATURE_BATCH_ROW_BYTES,
    FEATURE_ROW_BYTES,
    FEATURES_BASE_BYTES,
    build_features,
    default_buckets,
    entity_buckets,
    read_features,
)

SCENARIO = Scenario(customers=1500, days=30, fraud_rate=0.05, seed=11, shard_size=64)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    """24 shards of 64 customers, one file each."""
    out = tmp_path_factory.mktemp("data") / "d"
    return out, generate(SCENARIO, out, chunk_shards=1, threads=1)


def _fixed(m: Manifest) -> int:
    return FEATURES_BASE_BYTES + CUSTOMER_ROW_BYTES * m.rows["customers"]


def _largest(m: Manifest) -> int:
    return max(int(f["rows"]) for f in m.files if f["path"].startswith("transactions/"))


def test_buckets_follow_the_limit(dataset: tuple[Path, Manifest]) -> None:
    """No limit: one bucket. Room for half the rows per bucket: two; for a third: three."""
    _, m = dataset
    assert entity_buckets(m) == 1
    rows = m.rows["transactions"]
    for buckets in (2, 3):
        room = int(rows * ENTITY_ROW_BYTES * BUCKET_SLACK / buckets) + 1
        assert room > FEATURE_ROW_BYTES * _largest(m)  # the largest file fits beside it
        assert entity_buckets(m, _fixed(m) + room) == buckets


def test_limited_buckets_give_the_same_features(
    dataset: tuple[Path, Manifest], tmp_path: Path
) -> None:
    """Features under a limit that forces several buckets equal the unlimited run's."""
    data, m = dataset
    room = int(m.rows["transactions"] * ENTITY_ROW_BYTES * BUCKET_SLACK / 3) + 1
    build_features(data, tmp_path / "a", threads=1)
    build_features(data, tmp_path / "b", threads=1, memory_limit=_fixed(m) + room)
    (_, a), (_, b) = read_features(tmp_path / "a"), read_features(tmp_path / "b")
    assert entity_buckets(m, _fixed(m) + room) == 3
    assert a.collect().equals(b.collect())
    assert a.select(pl.len()).collect().item() == m.rows["transactions"]


def test_default_buckets_keep_a_small_dataset_whole() -> None:
    """Without a limit: one bucket up to twice ENTITY_BUCKET_ROWS rows (a row is in it once),
    then one per ENTITY_BUCKET_ROWS rows."""
    n = ENTITY_BUCKET_ROWS
    assert [default_buckets(r) for r in (0, 1, n, n + 3_001, 2 * n)] == [1, 1, 1, 1, 1]
    assert [default_buckets(r) for r in (2 * n + 1, 3 * n, 10 * n + 1)] == [3, 3, 11]


def test_a_limit_too_small_for_results_in_memory_splits_the_buckets(
    dataset: tuple[Path, Manifest],
) -> None:
    """One bucket keeps every row's entity results through the customer phase: a limit that
    holds the bucket and the largest file's customer phase but not those results as well gets
    two buckets (results on disk). Here the dataset is one file, so the customer phase is the
    larger need."""
    _, m = dataset
    rows = m.rows["transactions"]
    one_file = msgspec.structs.replace(
        m, files=[{"path": "transactions/part-00000.parquet", "rows": rows}]
    )
    phase = FEATURE_ROW_BYTES * rows + FEATURE_BATCH_ROW_BYTES * rows
    assert phase > rows * ENTITY_ROW_BYTES * BUCKET_SLACK  # the bucket fits in this much
    assert entity_buckets(one_file, _fixed(m) + phase + ENTITY_RESULT_BYTES * rows) == 1
    assert entity_buckets(one_file, _fixed(m) + phase) == 2


def test_an_impossible_limit_names_the_least(dataset: tuple[Path, Manifest]) -> None:
    """A limit that cannot hold the largest file's features is refused with the least allowed."""
    _, m = dataset
    with pytest.raises(ValueError, match=r"too small for the features .* allowed is at least"):
        entity_buckets(m, FEATURES_BASE_BYTES)
