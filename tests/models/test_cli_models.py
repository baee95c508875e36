"""``fraudforge train`` and ``fraudforge tune`` end to end on a small generated dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fraudforge.cli import main
from fraudforge.engine.dataset import generate
from fraudforge.features.pipeline import build_features
from fraudforge.models.data import ModelData, load_model_data
from fraudforge.models.provenance import read_training_record
from fraudforge.models.registry import ModelVersion, Registry
from tests.models.conftest import MODELS_SMALL

SPLIT = ["--gap-days", "3", "--test-days", "5"]


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """MODELS_SMALL written as a dataset directory and a features directory."""
    root = tmp_path_factory.mktemp("cli-models")
    generate(MODELS_SMALL, root / "data")
    build_features(root / "data", root / "features")
    return root / "data", root / "features"


def test_train_evaluates_and_registers(
    dirs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, features = dirs
    code = main(
        [
            "train", "--data", str(data), "--features", str(features), "--model", "logistic",
            "--validation-days", "5", *SPLIT, "--select", "correlation",
            "--registry", str(tmp_path / "reg"), "--name", "lr", "--tag", "cli",
            "--stage", "staging",
        ]
    )  # fmt: skip
    assert code == 0
    shown = capsys.readouterr().out
    assert "features selected by correlation" in shown
    assert "Card Precision@100" in shown
    assert "registered lr v1" in shown
    version = Registry(tmp_path / "reg").show("lr", 1)
    assert version.stage == "staging"
    assert version.kind == "logistic"
    assert 10 < len(version.features) < 69
    assert version.tags == ("cli",)
    assert 0.5 < float(version.metrics["roc_auc"]) <= 1.0
    model = Registry(tmp_path / "reg").load("lr", 1)
    assert model.features == version.features
    _fraud_type_registered_beside(tmp_path / "reg", version)
    assert "registered lr-type v1 (stage staging)" in shown


def _fraud_type_registered_beside(registry: Path, fraud: ModelVersion) -> None:
    """``train`` registered ``NAME-type`` at the model's stage, over its features, with its
    provenance, fitted on the fraud rows of its training period; ``compare`` without names
    leaves it out (it is no fraud model)."""
    reg = Registry(registry)
    types = reg.show("lr-type")
    assert (types.version, types.stage, types.kind) == (1, fraud.stage, "logistic")
    assert types.features == fraud.features
    assert (types.data_hash, types.catalog_hash, types.tags) == (
        fraud.data_hash, fraud.catalog_hash, fraud.tags
    )  # fmt: skip
    assert types.description == "most likely fraud type for lr v1"
    record = read_training_record(reg.training("lr", 1))
    assert record is not None
    assert reg.load("lr-type", 1).params["rows"] == record.train.fraud
    assert main(["compare", "--registry", str(registry)]) == 0


def test_train_json_is_the_run_and_what_was_registered(
    dirs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`train --json` prints one JSON document (no tables): the split, the model, its
    evaluations and the versions registered, equal to what the registry holds."""
    import json

    data, features = dirs
    args = ["train", "--data", str(data), "--features", str(features), *SPLIT, "--json"]
    code = main([*args, "--model", "decision_tree", "--registry", str(tmp_path / "reg")])
    assert code == 0
    run = json.loads(capsys.readouterr().out)
    assert [p["period"] for p in run["periods"]] == ["train", "validation", "test"]
    assert run["model"]["kind"] == "decision_tree"
    version = Registry(tmp_path / "reg").show("fraud-model", 1)
    assert run["model"]["features"] == list(version.features)
    assert run["model"]["threshold"] == pytest.approx(version.threshold)
    assert run["test"]["roc_auc"] == pytest.approx(version.metrics["roc_auc"])
    assert run["registered"] == [
        {"name": "fraud-model", "version": 1, "stage": "none"},
        {"name": "fraud-model-type", "version": 1, "stage": "none"},
    ]


def test_train_without_registry_and_with_bad_params(
    dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data, features = dirs
    args = ["train", "--data", str(data), "--features", str(features), *SPLIT]
    assert main([*args, "--model", "decision_tree", "--params", '{"max_depth": 3}']) == 0
    assert "not registered" in capsys.readouterr().out
    assert main([*args, "--params", "[1, 2]"]) == 2
    assert "allowed is a JSON object" in capsys.readouterr().err
    assert main([*args, "--model", "xgb"]) == 2
    assert "unknown model kind `xgb`" in capsys.readouterr().err


def test_tune_prints_and_exports_the_results(
    dirs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, features = dirs
    code = main(
        [
            "tune", "--data", str(data), "--features", str(features), "--model", "decision_tree",
            "--method", "grid", "--params", '{"max_depth": 4}', "--folds", "2", *SPLIT,
            "--metric", "roc_auc", "--csv", str(tmp_path / "t.csv"),
            "--markdown", str(tmp_path / "t.md"),
        ]
    )  # fmt: skip
    assert code == 0
    assert "best parameters" in capsys.readouterr().out
    table = pl.read_csv(tmp_path / "t.csv")
    assert table.height == 3  # max_depth fixed: the three min_samples_leaf grid values
    assert table.columns[:3] == ["trial", "state", "min_samples_leaf"]
    assert table["mean_roc_auc"].is_sorted(descending=True)
    assert "# grid search: decision_tree, prequential" in (tmp_path / "t.md").read_text()
    args = ["tune", "--data", str(data), "--features", str(features), "--model", "decision_tree"]
    grid = ["--method", "grid", "--params", '{"max_depth": 4}', "--folds", "2", *SPLIT]
    assert main([*args, *grid, "--metric", "roc_auc", "--json"]) == 0
    import json

    found = json.loads(capsys.readouterr().out)
    assert (found["kind"], found["method"], found["metric"]) == ("decision_tree", "grid", "roc_auc")
    assert [t["mean_roc_auc"] for t in found["trials"]] == table["mean_roc_auc"].to_list()
    assert found["best_mean"] == table["mean_roc_auc"][0]


def test_load_model_data_reads_the_directories_like_model_data(
    dirs: tuple[Path, Path], small_data: ModelData
) -> None:
    data, features = dirs
    loaded = load_model_data(data, features)
    assert loaded.features == small_data.features
    for column in ("transaction_id", "t", "y", "customer_id", "card_id", "amount", "fraud_type"):
        np.testing.assert_array_equal(getattr(loaded, column), getattr(small_data, column))
    np.testing.assert_allclose(loaded.X, small_data.X, equal_nan=True)
    chosen = load_model_data(data, features, names=["hour", "txn_count_24h"])
    assert chosen.features == ("hour", "txn_count_24h")
    np.testing.assert_array_equal(chosen.X, small_data.select(["hour", "txn_count_24h"]).X)
