"""The difficulty benchmark on a small generated dataset: what it measures, that the row model
reads no label and no id, and its JSON and Markdown outputs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
import numpy as np
import polars as pl
import pytest

from fraudforge.bench.difficulty import (
    TARGETS,
    Difficulty,
    main,
    row_data,
    to_markdown,
)
from fraudforge.engine.dataset import generate, scan_dataset
from fraudforge.engine.scenario import Scenario
from fraudforge.engine.schema import LABEL_COLUMNS
from fraudforge.features.pipeline import build_features

SCENARIO = Scenario(customers=500, days=40, fraud_rate=0.05, seed=4)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("difficulty")
    generate(SCENARIO, root / "data", threads=1)
    build_features(root / "data", root / "features", threads=1)
    return root / "data", root / "features"


@pytest.fixture(scope="module")
def result(
    dataset: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Difficulty, str]:
    """One run of the command on the dataset: its JSON result and its Markdown."""
    out = tmp_path_factory.mktemp("out")
    data, features = dataset
    args = ["--data", str(data), "--features", str(features), "--out", str(out)]
    assert main([*args, "--test-days", "10"]) == 0
    results = msgspec.json.decode((out / "difficulty.json").read_bytes(), type=list[Difficulty])
    assert len(results) == 1
    return results[0], (out / "difficulty.md").read_text()


def test_the_measures_are_in_range_and_consistent(
    result: tuple[Difficulty, str], dataset: tuple[Path, Path]
) -> None:
    d, _ = result
    tx = scan_dataset(dataset[0]).select("is_fraud", "timestamp").collect()
    assert d.rows == tx.height
    assert d.fraud_rows == int(tx["is_fraud"].sum())
    assert d.test_days == 10
    last = tx["timestamp"].dt.date().max()
    assert isinstance(last, dt.date)
    first_test = last - dt.timedelta(days=9)
    assert d.test_rows == int((tx["timestamp"].dt.date() >= first_test).sum())
    for value in (d.auc, d.average_precision, d.row_auc, d.fraud_night_share):
        assert 0.0 <= value <= 1.0
    assert d.night_ratio == pytest.approx(d.fraud_night_share / d.genuine_night_share)
    assert sum(p.test_rows for p in d.patterns) == d.test_fraud_rows
    assert all(0.0 <= p.recall_at_budget <= 1.0 for p in d.patterns)
    assert d.friendly_auc == next(p.auc for p in d.patterns if p.pattern == "friendly_fraud")
    assert d.audit_max_precision == (d.audit_most_precise.precision if d.audit_most_precise else 0)
    assert set(d.inside()) == set(TARGETS)


def test_the_row_model_reads_no_label_and_no_id(dataset: tuple[Path, Path]) -> None:
    rows = row_data(dataset[0])
    assert not set(rows.features) & set(LABEL_COLUMNS)
    assert not [f for f in rows.features if f.endswith("_id") or f == "counterparty"]
    tx = scan_dataset(dataset[0]).sort("timestamp", "transaction_id").collect()
    assert np.array_equal(rows.transaction_id, tx["transaction_id"].to_numpy())
    assert np.array_equal(rows.y, tx["is_fraud"].to_numpy())
    hour = rows.X[:, rows.features.index("hour")]
    assert np.array_equal(hour, tx["timestamp"].dt.hour().cast(pl.Float64).to_numpy())


def test_the_markdown_has_a_column_per_dataset_and_a_row_per_pattern(
    result: tuple[Difficulty, str],
) -> None:
    d, written = result
    assert written == to_markdown([d], ["data"])
    two = to_markdown([d, d], ["seed 1", "seed 2"]).splitlines()
    assert two[0] == "| measure | band | seed 1 | seed 2 |"
    header = next(line for line in two if line.startswith("| pattern |"))
    assert header.count("seed 1") == 3
    assert header.count("seed 2") == 3
    pattern_rows = [
        line for line in two if line.split(" | ")[0][2:] in {p.pattern for p in d.patterns}
    ]
    assert len(pattern_rows) == len(d.patterns)


@pytest.mark.parametrize("setting", ["0,x", "1.5", "default,-0.1"])
def test_camouflage_settings_are_checked(setting: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each --camouflage setting is a number from 0 to 1 or `default`; anything else is refused
    before any work, naming what is allowed."""
    with pytest.raises(SystemExit):
        main(["--camouflage", setting])
    assert "0 to 1 or `default`" in capsys.readouterr().err
