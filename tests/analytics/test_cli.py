"""`fraudforge report` end to end on a small generated dataset, and its errors."""

from __future__ import annotations

import html
from pathlib import Path

import lightgbm as lgb
import polars as pl
import pytest

from fraudforge.analytics.dashboard import NO_MODEL
from fraudforge.cli import main
from fraudforge.features import FEATURE_NAMES
from fraudforge.features.pipeline import read_features


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A small dataset, its features and a LightGBM text model trained on them."""
    root = tmp_path_factory.mktemp("cli")
    data, features = root / "data", root / "features"
    argv = ["generate", "--customers", "400", "--days", "20", "--fraud-rate", "0.05"]
    assert main([*argv, "--seed", "4", "--out", str(data), "--quiet"]) == 0
    assert main(["features", "--in", str(data), "--out", str(features)]) == 0
    frame = read_features(features)[1].collect()
    x = frame.select(FEATURE_NAMES).cast(pl.Float64).to_numpy()
    model = lgb.LGBMClassifier(n_estimators=20, n_jobs=1, verbose=-1).fit(
        x, frame["is_fraud"].to_numpy(), feature_name=list(FEATURE_NAMES)
    )
    path = root / "model.txt"
    model.booster_.save_model(str(path))
    return data, features, path


def test_report_with_a_model_file(
    dataset: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--model PATH loads a LightGBM text model, scores the features and explains it."""
    data, features, model = dataset
    out = tmp_path / "r" / "report.html"
    out.parent.mkdir()
    argv = ["report", "--data", str(data), "--features", str(features), "--model", str(model)]
    assert main([*argv, "--out", str(out), "--review-cost", "100"]) == 0
    page = out.read_text()
    assert "Model performance" in page
    assert "Feature importance" in page
    assert "review INR 100 per alert" in page
    assert str(out.resolve()) in capsys.readouterr().out.replace("\n", "")


def test_report_without_a_model(dataset: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """Without --model the report has the data sections and says that no model was given."""
    data, _, _ = dataset
    out = tmp_path / "report.html"
    assert main(["report", "--data", str(data), "--out", str(out)]) == 0
    page = out.read_text()
    assert NO_MODEL in page
    assert "Model performance" not in page


def test_report_has_the_realism_section(dataset: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """The report shows the genuine traffic against the calibration table: the scorecard's own
    verdict and every figure, with the chart of measured over public values; --targets swaps
    the table."""
    from fraudforge.realism import load_targets, score

    data, _, _ = dataset
    out = tmp_path / "report.html"
    assert main(["report", "--data", str(data), "--out", str(out)]) == 0
    page = out.read_text()
    card = score(data)
    assert "Realism" in page
    assert card.verdict() in page
    assert all(html.escape(r.description) in page for r in card.results)
    assert "Genuine traffic against public figures" in page
    table = tmp_path / "bank.toml"
    table.write_text(
        'name = "our-bank"\ndescription = "x"\n[[figure]]\nid = "upi"\ndescription = "Our UPI '
        'share"\nmeasure = "share"\nwhere = { payment_mode = ["upi"] }\ntarget = 0.5\nlow = 0.4'
        '\nhigh = 0.6\nsource = "our books"\nyear = 2026\n'
    )
    assert main(["report", "--data", str(data), "--targets", str(table), "--out", str(out)]) == 0
    page = out.read_text()
    assert "our-bank calibration table" in page
    assert "Our UPI share" in page
    assert score(data, load_targets(table)).verdict() in page


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--model", "m.txt"], "--model needs --features"),
        (["--features", "FEAT", "--model", "missing.txt"], "model `missing.txt` not found"),
        (["--recovery-rate", "2"], "`recovery_rate` = 2.0: allowed is 0 to 1"),
        (["--threshold", "1.5"], "threshold = 1.5: allowed is 0 to 1"),
    ],
)
def test_report_errors_exit_2(
    dataset: tuple[Path, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    """User errors exit with status 2, say what is allowed and write no file."""
    data, features, _ = dataset
    extra = [str(features) if e == "FEAT" else e for e in extra]
    out = tmp_path / "report.html"
    assert main(["report", "--data", str(data), "--out", str(out), *extra]) == 2
    assert message in capsys.readouterr().err.replace("\n", " ")
    assert not out.exists()


def test_a_file_that_is_not_a_model(dataset: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """A file that LightGBM cannot read is refused with its path."""
    data, features, _ = dataset
    bad = tmp_path / "bad.txt"
    bad.write_text("not a model")
    argv = ["report", "--data", str(data), "--features", str(features), "--model", str(bad)]
    assert main([*argv, "--out", str(tmp_path / "r.html")]) == 2
