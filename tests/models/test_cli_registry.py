"""`fraudforge compare` and `fraudforge registry list|show|promote` on a real registry and a real
dataset directory, including the errors a user can cause (exit 2, naming what is allowed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from fraudforge import cli
from fraudforge.cli import main
from fraudforge.engine.dataset import generate
from fraudforge.engine.scenario import Scenario
from fraudforge.features.pipeline import build_features
from fraudforge.models.compare import compare
from fraudforge.models.data import load_model_data
from fraudforge.models.metrics import evaluate
from fraudforge.models.registry import Registry
from fraudforge.models.training import train_model

SCENARIO = Scenario(customers=1_200, days=30, fraud_rate=0.05, anomaly_rate=0.04, seed=23)
TEST_DAYS = 7


@dataclass(frozen=True)
class Setup:
    """A dataset, its features and a registry holding two models evaluated on the last week."""

    data: Path
    features: Path
    registry: Path


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    root = tmp_path_factory.mktemp("cli-registry")
    generate(SCENARIO, root / "data")
    build_features(root / "data", root / "features")
    data = load_model_data(root / "data", root / "features")
    day = data.day
    train = data.subset(np.flatnonzero(day <= int(day.max()) - TEST_DAYS - 3))
    test = data.subset(np.flatnonzero(day > int(day.max()) - TEST_DAYS))
    reg = Registry(root / "registry")
    for name, kind, params in (
        ("gbm", "lightgbm", {"n_estimators": 40, "num_leaves": 15}),
        ("lr", "logistic", None),
    ):
        model = train_model(train, kind=kind, params=params)
        reg.register(model, name=name, metrics=evaluate(test, model.score(test)), tags=["cli"])
    return Setup(data=root / "data", features=root / "features", registry=root / "registry")


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables printed at full width, so cells are not wrapped or cut."""
    monkeypatch.setattr(cli.out, "width", 250)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_registry_list_and_show(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["registry", "list", "--registry", str(setup.registry)], capsys)
    assert code == 0
    assert "2 version(s)" in out
    assert "gbm" in out
    assert "lightgbm" in out
    assert "logistic" in out
    code, out, _ = _run(
        ["registry", "list", "--registry", str(setup.registry), "--name", "lr"], capsys
    )
    assert (code, "1 version(s)" in out, "lightgbm" in out) == (0, True, False)
    code, out, _ = _run(["registry", "show", "gbm", "--registry", str(setup.registry)], capsys)
    assert code == 0
    assert "matches the current catalogue" in out
    assert "member-000.lgb.txt" in out
    code, out, _ = _run(
        ["registry", "show", "gbm", "--version", "1", "--json", "--registry", str(setup.registry)],
        capsys,
    )
    shown = json.loads(out)
    assert (shown["name"], shown["version"], shown["kind"]) == ("gbm", 1, "lightgbm")
    assert shown["files"] == Registry(setup.registry).show("gbm", 1).files


def test_promote_reports_the_archived_version(
    setup: Setup, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    reg = Registry(tmp_path / "reg")
    model = Registry(setup.registry).load("lr")
    for _ in range(2):
        reg.register(model, name="lr")
    where = ["--registry", str(tmp_path / "reg")]
    code, out, _ = _run(["registry", "promote", "lr", "1", "production", *where], capsys)
    assert (code, out.strip()) == (0, "lr v1 is now in stage production")
    code, out, _ = _run(["registry", "promote", "lr", "2", "production", *where], capsys)
    assert (code, out.strip()) == (0, "lr v2 is now in stage production (archived v1)")
    assert [v.stage for v in reg.list("lr")] == ["archived", "production"]


def test_compare_on_recorded_metrics_writes_markdown_and_json(
    setup: Setup, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    md, js = tmp_path / "out" / "cmp.md", tmp_path / "out" / "cmp.json"
    code, out, _ = _run(
        ["compare", "--registry", str(setup.registry), "--priority", "recall-first",
         "--markdown", str(md), "--json", str(js)],
        capsys,
    )  # fmt: skip
    assert code == 0
    reg = Registry(setup.registry)
    expected = compare(
        {f"{n} v1": reg.show(n, 1).metrics for n in ("gbm", "lr")}, priority="recall-first"
    )
    assert md.read_text() == expected.to_markdown()
    assert json.loads(js.read_text()) == json.loads(expected.to_json())
    assert f"recommended for recall-first: {expected.recommendation.model}" in out


def test_compare_on_a_dataset_reevaluates_the_loaded_models(
    setup: Setup, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    js = tmp_path / "cmp.json"
    code, _, _ = _run(
        ["compare", "gbm:1", "lr@none", "--registry", str(setup.registry),
         "--data", str(setup.data), "--features", str(setup.features),
         "--test-days", str(TEST_DAYS), "--json", str(js)],
        capsys,
    )  # fmt: skip
    assert code == 0
    result = json.loads(js.read_text())
    reg = Registry(setup.registry)
    for name in ("gbm", "lr"):  # the same week as at registration: the same numbers
        again = result["evaluations"][f"{name} v1"]
        recorded = reg.show(name, 1).metrics
        for metric in ("rows", "positives", "roc_auc", "average_precision", "recall_at_budget"):
            assert again[metric] == recorded[metric]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "nope"], "unknown model `nope`: registered are gbm, lr"),
        (["compare", "gbm:x"], "allowed are NAME, NAME:VERSION"),
        (["compare", "gbm:9"], "model gbm has no version 9: allowed are 1"),
        (["compare", "gbm@production"], "model gbm has no version in stage production"),
        (["compare", "--priority", "cheap"], "unknown priority `cheap`: allowed are balanced"),
        (["compare", "--data", "x"], "give both --data DATA and --features FEATURES"),
        (["registry", "promote", "gbm", "1", "prod"], "unknown stage `prod`: allowed are none"),
        (["registry", "show", "gbm", "--version", "3"], "model gbm has no version 3"),
        (["registry", "list", "--stage", "live"], "unknown stage `live`"),
    ],
)
def test_user_errors_exit_2_naming_what_is_allowed(
    setup: Setup, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = _run([*args, "--registry", str(setup.registry)], capsys)
    assert code == 2
    assert message in " ".join(err.split())


def test_missing_registry_and_foreign_catalogue_exit_2(
    setup: Setup, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = _run(["registry", "list", "--registry", str(tmp_path / "none")], capsys)
    assert code == 2
    assert "no model registry at" in err
    reg = Registry(tmp_path / "reg")
    reg.register(Registry(setup.registry).load("lr"), name="old", catalog_hash="f" * 64)
    code, _, err = _run(
        ["compare", "old", "--registry", str(tmp_path / "reg"),
         "--data", str(setup.data), "--features", str(setup.features)],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert "trained on features catalogue ffffffffffff" in " ".join(err.split())
    code, _, err = _run(["compare", "old", "--registry", str(tmp_path / "reg")], capsys)
    assert code == 2
    assert "has no recorded evaluation: pass --data DATA" in " ".join(err.split())


def test_tables_fit_80_columns_and_json_shows_everything(
    setup: Setup, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 80 columns `registry list` and `compare` leave out their least needed columns and
    name them, instead of cutting cells ("fra..."); --json prints every field."""
    monkeypatch.setattr(cli.out, "width", 80)
    where = ["--registry", str(setup.registry)]
    for args in (["registry", "list", *where], ["compare", *where]):
        code, out, _ = _run(args, capsys)
        assert code == 0
        lines = out.splitlines()
        assert max(len(line) for line in lines) <= 80, args
        assert "…" not in out
        assert "left out at 80 columns:" in out
    code, out, _ = _run(["registry", "list", *where, "--json"], capsys)
    listed = json.loads(out)
    assert [(v["name"], v["version"], v["kind"]) for v in listed] == [
        ("gbm", 1, "lightgbm"),
        ("lr", 1, "logistic"),
    ]
    assert listed[0]["metrics"] == pytest.approx(
        {k: v for k, v in Registry(setup.registry).show("gbm", 1).metrics.items()
         if isinstance(v, int | float)}
    )  # fmt: skip
    assert listed[0]["tags"] == ["cli"]
    code, out, _ = _run(["compare", *where, "--json"], capsys)
    assert code == 0
    assert sorted(json.loads(out)["evaluations"]) == ["gbm v1", "lr v1"]
