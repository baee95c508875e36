"""`fraudforge features`: the catalogue listing, a dataset's features on disk, and the
scikit-learn transformer."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.utils import estimator_checks

from fraudforge.cli import main
from fraudforge.engine.dataset import generate, read_manifest
from fraudforge.engine.scenario import Scenario
from fraudforge.features.catalog import FEATURE_NAMES
from fraudforge.features.pipeline import catalog_hash, read_features
from fraudforge.features.transformer import FeatureTransformer
from tests.conftest import Dataset

S = Scenario(customers=200, days=20, seed=4)


def test_list_prints_every_feature(capsys: pytest.CaptureFixture[str]) -> None:
    """`features --list --markdown` prints all 69 names."""
    assert main(["features", "--list", "--markdown"]) == 0
    text = capsys.readouterr().out
    assert all(f"`{name}`" in text for name in FEATURE_NAMES)


def test_features_of_a_dataset(tmp_path: Path) -> None:
    """`features --in --out` writes one row per transaction, keyed by transaction_id, with the
    label columns and a manifest naming the catalogue and the source dataset."""
    data = tmp_path / "data"
    m = generate(S, data)
    assert main(["features", "--in", str(data), "--out", str(tmp_path / "f")]) == 0
    fm, lf = read_features(tmp_path / "f")
    df = lf.collect()
    assert df.height == m.rows["transactions"] == fm.rows
    assert df["transaction_id"].is_unique().all()
    assert df.columns[1:70] == list(FEATURE_NAMES)
    assert "is_fraud" in df.columns
    assert "label_known_at" in df.columns
    assert fm.source_content_hash == m.content_hash
    assert fm.catalog_hash == catalog_hash()


def test_features_refuses_bad_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A directory that is no dataset, or a non-empty output, is refused with exit 2."""
    assert main(["features", "--in", str(tmp_path), "--out", str(tmp_path / "f")]) == 2
    assert "no manifest.json" in capsys.readouterr().err
    assert main(["features"]) == 2


def test_transformer_in_input_order() -> None:
    """The transformer returns the batch values in the caller's row order."""
    from fraudforge.engine.streaming import scan, scan_customers
    from fraudforge.features.batch import compute_features

    tx = scan(S).collect()
    customers = scan_customers(S).collect()
    ft = FeatureTransformer(customers=customers).fit(tx)
    shuffled = tx.sample(fraction=1.0, shuffle=True, seed=3)
    x = ft.transform(shuffled)
    batch, _ = compute_features(tx, customers, outlier=ft.outlier_)
    expect = (
        shuffled.select("transaction_id")
        .join(batch, on="transaction_id", maintain_order="left")
        .select(FEATURE_NAMES)
        .cast(pl.Float64)
        .fill_null(np.nan)
        .to_numpy()
    )
    assert np.array_equal(x, expect, equal_nan=True)
    assert list(ft.get_feature_names_out()) == list(FEATURE_NAMES)
    with pytest.raises(ValueError, match="unknown features"):
        FeatureTransformer(customers=customers, features=("nope",)).fit(tx)


def test_streamed_equals_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """File-by-file features with bucketed merchant/device passes equal the in-memory result,
    with many transactions files and several entity buckets."""
    from fraudforge.engine.dataset import scan_dataset
    from fraudforge.features import pipeline
    from fraudforge.features.batch import compute_features

    data = tmp_path / "data"
    scenario = Scenario(customers=600, days=20, seed=6, shard_size=64)
    generate(scenario, data, chunk_shards=3)
    monkeypatch.setattr(pipeline, "ENTITY_BUCKET_ROWS", 3_000)
    fm = pipeline.build_features(data, tmp_path / "f")
    assert len(fm.files) == 4
    streamed = read_features(tmp_path / "f")[1].collect().sort("transaction_id")
    tx = scan_dataset(data).collect()
    customers = scan_dataset(data, "customers").collect()
    whole, _ = compute_features(tx, customers, outlier=fm.outlier)
    assert streamed.equals(whole.sort("transaction_id"))


@pytest.mark.parametrize(
    "check",
    [
        estimator_checks.check_no_attributes_set_in_init,
        estimator_checks.check_get_params_invariance,
        estimator_checks.check_set_params,
        estimator_checks.check_parameters_default_constructible,
        estimator_checks.check_estimator_cloneable,
        estimator_checks.check_estimator_repr,
        estimator_checks.check_do_not_raise_errors_in_init_or_set_params,
    ],
    ids=lambda check: check.__name__,
)
def test_transformer_meets_the_estimator_contract(check: Callable[[str, object], None]) -> None:
    """The scikit-learn checks that do not feed numeric arrays (the transformer's input is a
    transactions frame, so the data-driven checks do not apply)."""
    check("FeatureTransformer", FeatureTransformer())


def test_transformer_heads_a_pipeline() -> None:
    """A cloned transformer fits inside a Pipeline with a classifier on a transactions frame."""
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from fraudforge.engine.streaming import scan, scan_customers

    tx = scan(S).collect()
    customers = scan_customers(S).collect()
    features = ("amount_ratio_30d", "distance_from_home_km", "txn_count_24h")
    ft = clone(FeatureTransformer(customers=customers, features=features))
    model = make_pipeline(ft, LogisticRegression(max_iter=200)).fit(tx, tx["is_fraud"].to_numpy())
    p = model.predict_proba(tx)[:, 1]
    assert p.shape == (tx.height,)
    assert model[0].get_feature_names_out().tolist() == list(features)
    assert model[-1].n_features_in_ == len(features)


def test_batch_bounds_cut_at_customer_starts() -> None:
    """Each cut is the first customer start at or after a multiple of the batch size; a
    customer is never split, and one customer larger than a batch stays whole."""
    from fraudforge.features.pipeline import FeaturesOptionError, batch_bounds

    customer = np.array([1, 1, 1, 2, 2, 3, 4, 4, 4, 4, 5], dtype=np.int64)
    assert batch_bounds(customer, 100) == [0, 11]
    assert batch_bounds(customer, 4) == [0, 5, 10, 11]
    assert batch_bounds(customer, 1) == [0, 3, 5, 6, 10, 11]
    assert batch_bounds(customer[:0], 4) == [0, 0]
    with pytest.raises(FeaturesOptionError, match="batch_rows=0 is invalid: allowed is at least 1"):
        batch_bounds(customer, 0)


@pytest.mark.parametrize("batch_rows", [40, 500, 1_777])
def test_batches_equal_whole_files(tmp_path: Path, batch_rows: int) -> None:
    """Features computed in batches (a few customers, a few hundred rows, or cuts that fall
    mid-customer; each batch's rows read alone from the file, several output files per
    transactions file, the outlier model gathered batch by batch) equal those of whole files,
    value for value, with the same outlier model; progress counts rows within a file."""
    data = tmp_path / "data"
    m = generate(Scenario(customers=300, days=20, seed=5, shard_size=64), data, chunk_shards=3)
    from fraudforge.features.pipeline import build_features

    whole = build_features(data, tmp_path / "whole")
    reports: list[tuple[str, int, int | None]] = []
    batched = build_features(
        data,
        tmp_path / "batched",
        batch_rows=batch_rows,
        progress=lambda step, done, total: reports.append((step, done, total)),
    )
    assert len(whole.files) == 2
    assert len(batched.files) > 2 * len(whole.files)
    assert batched.outlier == whole.outlier
    a = read_features(tmp_path / "whole")[1].collect()
    b = read_features(tmp_path / "batched")[1].collect()
    assert a.equals(b)
    rows = m.rows["transactions"]
    counts = [done for step, done, _ in reports if step == "customer features"]
    assert counts == sorted(counts)
    assert counts[0] == 0
    assert counts[-1] == rows
    assert len(set(counts)) > len(whole.files) + 1  # steps within files, not only per file


def test_file_batches_read_slices_in_feature_order(tmp_path: Path) -> None:
    """A generated file's batches are slices of the file with the columns the features read;
    the same file with its rows shuffled gives the same keys and the same batches (sorted)."""
    from fraudforge.features.batch import FEATURE_ORDER
    from fraudforge.features.pipeline import file_batches

    generate(Scenario(customers=150, days=10, seed=3, shard_size=64), tmp_path / "d")
    path = next((tmp_path / "d" / "transactions").glob("*.parquet"))
    tx = pl.read_parquet(path)
    keys, rows, order = file_batches(path)
    assert order is None
    assert keys.equals(tx.select(FEATURE_ORDER))
    n = tx.height
    lo, hi = n // 3, 2 * n // 3
    got = rows(lo, hi)
    assert {"card_id", "state", "anomaly_severity"}.isdisjoint(got.columns)  # not read
    assert got.equals(tx.select(got.columns).slice(lo, hi - lo))
    shuffled = tmp_path / "shuffled.parquet"
    mixed = tx.sample(fraction=1.0, shuffle=True, seed=1)
    mixed.write_parquet(shuffled)
    keys2, rows2, order2 = file_batches(shuffled)
    assert order2 is not None
    assert mixed[order2].equals(tx)  # the shuffled file's row of each row in feature order
    assert keys2.equals(keys)
    assert rows2(lo, hi).equals(got)
    assert rows2(0, n).equals(rows(0, n))
    for file, expected_order in ((path, None), (shuffled, order2)):  # read once, whole
        keys3, rows3, order3 = file_batches(file, whole_rows=n)
        assert keys3.equals(keys)
        assert rows3(lo, hi).equals(got)
        assert rows3(0, n).equals(rows(0, n))
        assert (order3 is None) == (expected_order is None)
        if expected_order is not None and order3 is not None:
            assert (order3 == expected_order).all()


def test_features_writer_writes_in_order_and_raises_a_failed_write(tmp_path: Path) -> None:
    """Each submitted table is written as given; a write that fails raises on the next submit
    or on leaving the block, and the writer still shuts down."""
    from fraudforge.features.pipeline import FeaturesWriter

    frames = [pl.DataFrame({"transaction_id": [i, i + 1], "x": [0.5 * i, None]}) for i in (1, 3)]
    with FeaturesWriter() as writer:
        for i, frame in enumerate(frames):
            writer.submit(frame, tmp_path / f"{i}.parquet")
    for i, frame in enumerate(frames):
        assert pl.read_parquet(tmp_path / f"{i}.parquet").equals(frame)
    with pytest.raises(FileNotFoundError, match="No such file"), FeaturesWriter() as writer:
        writer.submit(frames[0], tmp_path / "missing" / "a.parquet")


def test_kernel_inputs_have_the_same_types_whatever_the_chunks(small: Dataset) -> None:
    """``prepare`` gives the kernels arrays of the same dtype, layout and writability from a
    table in one chunk and from the same rows in two (a file read in several): Numba compiles
    a kernel once per argument types, so ``fraudforge warmup`` (small files, one chunk) then
    covers the first run on a large dataset."""
    from dataclasses import fields

    from fraudforge.features.batch import prepare

    tx = small.transactions.head(4_000)
    whole = prepare(tx, small.customers)[1]
    split = prepare(pl.concat([tx.head(1_500), tx.tail(2_500)], rechunk=False), small.customers)[1]
    assert pl.concat([tx.head(1_500), tx.tail(2_500)], rechunk=False).n_chunks() == 2
    for f in fields(whole):
        a, b = getattr(whole, f.name), getattr(split, f.name)
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f.name
        kind = (a.dtype, a.flags.c_contiguous, a.flags.writeable)
        assert kind == (b.dtype, b.flags.c_contiguous, b.flags.writeable), f.name


def test_the_features_command_as_a_process(tmp_path: Path) -> None:
    """``python -m fraudforge.cli features`` (which ends without the interpreter's teardown)
    exits 0 with every features file written and its line printed."""
    data, out = tmp_path / "data", tmp_path / "features"
    generate(Scenario(customers=150, days=14, seed=3), data, threads=1)
    done = subprocess.run(
        [sys.executable, "-m", "fraudforge.cli", "features", "--in", str(data), "--out",
         str(out), "--threads", "2"],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "100"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "transactions x 69 features in" in " ".join(done.stdout.split())
    manifest, table = read_features(out, dataset=data)
    rows = table.select(pl.len()).collect().item()
    assert rows == manifest.rows == read_manifest(data).rows["transactions"]
