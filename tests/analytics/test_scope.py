"""Which rows and thresholds `fraudforge report` evaluates a model on: a real model trained and
registered by `fraudforge train` on a small generated dataset, reported with the defaults (the
days after its training and validation data, its registered threshold) and with the overrides."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl
import pytest

from fraudforge import cli
from fraudforge.analytics import dashboard
from fraudforge.analytics.dashboard import ON_THE_ROWS
from fraudforge.analytics.loader import ReportModel, load_model
from fraudforge.analytics.scope import evaluation_scope
from fraudforge.cli import main
from fraudforge.engine.dataset import read_manifest, scan_dataset
from fraudforge.features.pipeline import read_features
from fraudforge.models.provenance import PeriodRecord, TrainingRecord, read_training_record
from fraudforge.models.registry import Registry

# 20 days from 2025-09-01: train days 0-9, gap 10-11, validation 12-14, gap 15-16, test 17-19
SPLIT = ["--validation-days", "3", "--gap-days", "2", "--test-days", "3"]
START = dt.date(2025, 9, 1)


@dataclass(frozen=True)
class Setup:
    data: Path
    features: Path
    registry: Path
    day: pl.DataFrame
    """transaction_id and calendar date of every features row."""


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """400 customers over 20 days, its features, and LightGBM trained by `fraudforge train` on
    SPLIT and registered as `m` v1."""
    root = tmp_path_factory.mktemp("scope")
    data, features, registry = root / "data", root / "features", root / "registry"
    argv = ["generate", "--customers", "400", "--days", "20", "--fraud-rate", "0.05"]
    assert main([*argv, "--seed", "4", "--out", str(data), "--quiet"]) == 0
    assert main(["features", "--in", str(data), "--out", str(features)]) == 0
    train = ["train", "--data", str(data), "--features", str(features), *SPLIT]
    assert main([*train, "--registry", str(registry), "--name", "m"]) == 0
    ids = read_features(features)[1].select("transaction_id").collect()
    day = ids.join(
        scan_dataset(data).select("transaction_id", pl.col("timestamp").dt.date().alias("date"))
        .collect(),
        on="transaction_id",
        maintain_order="left",
    )  # fmt: skip
    return Setup(data, features, registry, day)


def _report(setup: Setup, tmp_path: Path, *extra: str) -> tuple[int, str]:
    out = tmp_path / "report.html"
    argv = ["report", "--data", str(setup.data), "--features", str(setup.features)]
    code = main([*argv, "--out", str(out), *extra])
    return code, out.read_text() if out.exists() else ""


def _summary(page: str) -> str:
    """The summary section's text, tags and entities removed."""
    start = page.index('<section id="summary">')
    end = page.index("<h3>Recommendations</h3>", start)
    return html.unescape(re.sub(r"<[^>]+>", " ", page[start:end]))


@pytest.fixture
def evaluated(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The arguments every build_report call of the command receives."""
    calls: list[dict[str, Any]] = []
    real = dashboard.build_report

    def spy(**kwargs: Any) -> str:
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(dashboard, "build_report", spy)
    return calls


def test_train_records_the_split_and_the_threshold(setup: Setup) -> None:
    """The registry holds the periods `train` used, by date, and how the threshold was set."""
    reg = Registry(setup.registry, create=False)
    record = read_training_record(reg.training("m", 1))
    assert record is not None
    assert (record.train.first, record.train.last) == (START, START + dt.timedelta(days=9))
    assert record.validation is not None
    assert record.test is not None
    assert (record.validation.first, record.validation.last) == (
        START + dt.timedelta(days=12),
        START + dt.timedelta(days=14),
    )
    assert (record.test.first, record.test.last) == (
        START + dt.timedelta(days=17),
        START + dt.timedelta(days=19),
    )
    assert record.gap_days == 2
    assert record.seen_until == START + dt.timedelta(days=14)
    assert record.threshold_source == "validation"
    assert record.threshold == reg.show("m", 1).threshold
    dates = setup.day["date"]
    assert record.train.rows == int((dates <= record.train.last).sum())
    assert record.test.rows == int((dates >= record.test.first).sum())


def test_default_evaluates_after_training_at_the_registered_threshold(
    setup: Setup, tmp_path: Path, evaluated: list[dict[str, Any]]
) -> None:
    """By default the model is scored on exactly the rows after its validation period (days
    15-19: the second gap and the test period), at its registered threshold, and the summary
    names the rows, their dates and the threshold with its origin."""
    code, page = _report(setup, tmp_path, "--registry", str(setup.registry), "--model", "m")
    assert code == 0
    (call,) = evaluated
    first = START + dt.timedelta(days=15)
    expected = setup.day.filter(pl.col("date") >= first)["transaction_id"]
    got = call["features"]["transaction_id"]
    assert got.sort().to_list() == expected.sort().to_list()
    training_ids = setup.day.filter(pl.col("date") <= START + dt.timedelta(days=9))
    assert not got.is_in(training_ids["transaction_id"].implode()).any()
    threshold = Registry(setup.registry, create=False).show("m", 1).threshold
    assert call["thresholds"]["m"].value == threshold
    assert call["threshold"] is None
    text = _summary(page)
    assert f"{expected.len():,}" in text
    last = START + dt.timedelta(days=19)
    assert f"{expected.len():,} rows, {first} to {last}" in text
    assert f"{threshold:.4f}" in text
    assert (
        f"Threshold of m: {threshold:.4f}, registered with m v1: best cost on the validation "
        f"period {START + dt.timedelta(days=12)} to {START + dt.timedelta(days=14)}"
    ) in text
    assert "after the data m v1 learnt from" in text
    assert "may overlap" not in text


def test_test_days_and_threshold_override_with_a_warning(
    setup: Setup,
    tmp_path: Path,
    evaluated: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--test-days 7 evaluates days 13-19, which reach into the validation period: the page and
    stderr warn. --threshold replaces the registered threshold and says so."""
    argv = ["--registry", str(setup.registry), "--model", "m", "--test-days", "7"]
    code, page = _report(setup, tmp_path, *argv, "--threshold", "0.25")
    assert code == 0
    (call,) = evaluated
    first = START + dt.timedelta(days=13)
    expected = setup.day.filter(pl.col("date") >= first)["transaction_id"]
    assert call["features"]["transaction_id"].sort().to_list() == expected.sort().to_list()
    assert call["thresholds"]["m"].value == 0.25
    text = _summary(page)
    assert "Threshold of m: 0.2500, given to the report" in text
    warning = f"The last 7 day(s) start on {first}, inside the data m v1 learnt from"
    assert warning in text
    assert warning in capsys.readouterr().err.replace("\n", " ")


def test_no_rows_after_training_is_an_error_naming_the_dates(setup: Setup) -> None:
    """Rows that all fall within the training and validation data leave nothing to evaluate:
    refused with the model's periods and the data's dates (the command exits 2)."""
    model = load_model("m", registry=setup.registry)
    first = (START - dt.date(1970, 1, 1)).days
    days = np.arange(first, first + 15)  # 2025-09-01 to 2025-09-15
    with pytest.raises(ValueError, match="no rows after the data m v1 learnt from") as exc:
        evaluation_scope([model], days)
    assert "threshold validated on 2025-09-13 to 2025-09-15" in str(exc.value)
    assert "the data covers 2025-09-01 to 2025-09-15" in str(exc.value)
    assert "--test-days N" in str(exc.value)
    assert evaluation_scope([model], days, test_days=3).keep.sum() == 3


def test_a_model_file_may_overlap_its_training(
    setup: Setup, tmp_path: Path, evaluated: list[dict[str, Any]]
) -> None:
    """A LightGBM file has no training record: every row is evaluated, the summary says the
    period may overlap its training, and the threshold is the cost-optimal one on these rows."""
    frame = read_features(setup.features)[1].collect()
    names = list(Registry(setup.registry, create=False).show("m", 1).features)
    x = frame.select(names).cast(pl.Float64).to_numpy()
    booster = lgb.LGBMClassifier(n_estimators=10, n_jobs=1, verbose=-1).fit(
        x, frame["is_fraud"].to_numpy(), feature_name=names
    )
    path = tmp_path / "plain.txt"
    booster.booster_.save_model(str(path))
    code, page = _report(setup, tmp_path, "--model", str(path))
    assert code == 0
    (call,) = evaluated
    assert call["features"].height == setup.day.height
    assert call["thresholds"] == {}
    text = _summary(page)
    assert "`plain` is a model file, which carries no training record" in text
    assert "the evaluation period may overlap the data it was trained on" in text
    assert ON_THE_ROWS in text


def test_a_registration_without_a_record_falls_back_visibly(
    setup: Setup, tmp_path: Path, evaluated: list[dict[str, Any]]
) -> None:
    """A version registered without a training record (as older fraudforge did) is evaluated
    on every row at its registered threshold, with a warning that the rows may overlap."""
    registry = Registry(tmp_path / "old")
    model = Registry(setup.registry, create=False).load("m", 1)
    registry.register(model, name="old", data_hash=read_manifest(setup.data).content_hash)
    assert registry.training("old", 1) is None
    code, page = _report(setup, tmp_path, "--registry", str(tmp_path / "old"), "--model", "old")
    assert code == 0
    (call,) = evaluated
    assert call["features"].height == setup.day.height
    assert call["thresholds"]["old"].value == model.threshold
    text = _summary(page)
    assert "old v1 was registered without a training record" in text
    assert "how it was chosen is not recorded" in text


def test_registry_show_prints_the_training_periods(
    setup: Setup, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`registry show` gives the periods and the threshold's origin; --json includes them."""
    monkeypatch.setattr(cli.out, "width", 250)
    assert main(["registry", "show", "m", "--registry", str(setup.registry)]) == 0
    shown = capsys.readouterr().out
    assert "best cost on the validation period 2025-09-13 to 2025-09-15" in shown
    assert "train 2025-09-01 to 2025-09-10" in shown
    assert main(["registry", "show", "m", "--registry", str(setup.registry), "--json"]) == 0
    assert '"seen_until"' not in (raw := capsys.readouterr().out)
    assert '"first": "2025-09-13"' in raw


def _recorded(name: str, train_last: int, validation_last: int, data_hash: str) -> ReportModel:
    """A registered model whose record ends training and validation on these days of START."""

    def period(first: int, last: int) -> PeriodRecord:
        return PeriodRecord(
            first=START + dt.timedelta(days=first),
            last=START + dt.timedelta(days=last),
            rows=100,
            fraud=5,
        )

    record = TrainingRecord(
        train=period(0, train_last),
        validation=period(validation_last - 2, validation_last),
        test=None,
        gap_days=2,
        threshold=0.3,
        threshold_source="validation",
        threshold_rule="f1",
    )
    return ReportModel(
        name=name,
        features=("hour",),
        score=lambda frame: np.zeros(frame.height),
        booster=None,
        registered=f"{name} v1",
        threshold=0.3,
        training=record,
        data_hash=data_hash,
    )


def test_several_models_are_evaluated_after_the_latest_training_data() -> None:
    """Two registered models: the rows start after the later one's validation period, each
    keeps its own threshold, and a model trained on another dataset is named."""
    first = (START - dt.date(1970, 1, 1)).days
    days = np.repeat(np.arange(first, first + 20), 3)
    early = _recorded("early", 5, 9, "same")
    late = _recorded("late", 9, 13, "other")
    scope = evaluation_scope([early, late], days, data_hash="same")
    assert scope.keep.tolist() == (days > first + 13).tolist()
    assert "after the data late v1 learnt from" in scope.rows
    assert "also after the training data of early v1" in scope.rows
    assert {n: t.value for n, t in scope.thresholds.items()} == {"early": 0.3, "late": 0.3}
    assert scope.thresholds["late"].source == (
        "registered with late v1: best f1 on the validation period 2025-09-12 to 2025-09-14"
    )
    (warning,) = scope.warnings
    assert warning.startswith("late v1 was trained on another dataset")
