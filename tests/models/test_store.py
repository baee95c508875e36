"""Safe model files: every kind round-trips to identical scores; altered or untrusted files are
refused before anything is deserialised."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import (
    BaggingClassifier,
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    IsolationForest,
    RandomForestClassifier,
    StackingClassifier,
    VotingClassifier,
)
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from fraudforge.engine.errors import OutputExistsError
from fraudforge.models import FraudModel
from fraudforge.models._lightgbm import BoosterClassifier
from fraudforge.models._store import (
    ArtefactError,
    TextClassifier,
    load_model,
    read_model,
    save_model,
)
from fraudforge.models.fraud_type import FraudTypes, LinearTypes, type_pipeline

FEATURES = ("a", "b", "c", "d")


def _xy(*, nan: bool = False, rows: int = 800, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, len(FEATURES)))
    if nan:  # the real features carry NaN too (secs_since_prev_txn)
        x[rng.random(rows) < 0.05, 3] = np.nan
    y = (x[:, 0] - 0.7 * x[:, 1] + rng.normal(scale=0.7, size=rows)) > 1.2
    return x, y


def _lgbm(**params: Any) -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(n_estimators=25, num_leaves=7, verbose=-1, **params)


BUILDERS: dict[str, Callable[[], Any]] = {
    "lightgbm": lambda: _lgbm(class_weight={False: 1.0, True: 4.0}),
    "logistic": lambda: make_pipeline(
        SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(C=0.5)
    ),
    "decision_tree": lambda: DecisionTreeClassifier(max_depth=4, random_state=0),
    "random_forest": lambda: RandomForestClassifier(n_estimators=8, random_state=0),
    "extra_trees": lambda: ExtraTreesClassifier(n_estimators=8, random_state=0),
    "hist_gradient_boosting": lambda: HistGradientBoostingClassifier(max_iter=15),
    "isolation_forest": lambda: IsolationForest(n_estimators=15, random_state=0),
    "voting_soft": lambda: VotingClassifier(
        [("gbm", _lgbm()), ("lr", LogisticRegression())], voting="soft"
    ),
    "voting_hard": lambda: VotingClassifier(
        [("gbm", _lgbm()), ("tree", DecisionTreeClassifier(max_depth=3)), ("gbm2", _lgbm())],
        voting="hard",
    ),
    "stacking": lambda: StackingClassifier(
        [("gbm", _lgbm()), ("tree", DecisionTreeClassifier(max_depth=3))],
        final_estimator=LogisticRegression(),
        cv=3,
    ),
    "bagging": lambda: BaggingClassifier(_lgbm(), n_estimators=3, random_state=0),
    "calibrated": lambda: CalibratedClassifierCV(_lgbm(), method="isotonic", cv=3),
}


def _imputed(kind: str, x: np.ndarray) -> np.ndarray:
    """Estimators without NaN support see NaN as 0 (the zoo's pipelines impute likewise)."""
    nan_ok = {"lightgbm", "logistic", "hist_gradient_boosting", "bagging", "calibrated"}
    return x if kind in nan_ok else np.nan_to_num(x)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_every_kind_round_trips_to_identical_scores(kind: str, tmp_path: Path) -> None:
    x, y = _xy(nan=True)
    x = _imputed(kind, x)
    estimator = BUILDERS[kind]().fit(x, y)
    params = {"learning_rate": 0.05, "class_weight": {False: 1, True: 9}, "depths": (2, None)}
    model = FraudModel(
        kind=kind, estimator=estimator, features=FEATURES, params=params, threshold=0.4, name="m"
    )
    save_model(model, tmp_path / "m")
    back = load_model(tmp_path / "m")
    np.testing.assert_array_equal(back.score(x), model.score(x))
    assert back.kind == kind
    assert back.features == FEATURES
    assert back.threshold == 0.4
    assert back.name == "m"
    assert back.params == {
        "learning_rate": 0.05,
        "class_weight": {False: 1, True: 9},
        "depths": [2, None],
    }


def test_a_bare_booster_is_lightgbm_text_and_scores_as_the_classifier(tmp_path: Path) -> None:
    x, y = _xy()
    estimator = _lgbm().fit(x, y)
    model = FraudModel(kind="lightgbm", estimator=estimator, features=FEATURES)
    save_model(model, tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "member-000.lgb.txt",
        "model.json",
    ]
    text = (tmp_path / "m" / "member-000.lgb.txt").read_text()
    assert text.startswith("tree\nversion=")
    back = load_model(tmp_path / "m")
    assert isinstance(back.estimator, BoosterClassifier)
    np.testing.assert_array_equal(back.estimator.predict(x), estimator.predict(x))
    np.testing.assert_array_equal(
        back.estimator.decision_function(x), estimator.decision_function(x)
    )
    np.testing.assert_array_equal(
        back.estimator.feature_importances_, estimator.feature_importances_
    )
    # a loaded model saves again (its booster text is kept) and still scores the same
    save_model(back, tmp_path / "again")
    np.testing.assert_array_equal(load_model(tmp_path / "again").score(x), model.score(x))


def test_an_ensemble_keeps_shared_members_shared(tmp_path: Path) -> None:
    x, y = _xy()
    estimator = BUILDERS["voting_soft"]().fit(x, y)
    save_model(
        FraudModel(kind="voting_soft", estimator=estimator, features=FEATURES), tmp_path / "m"
    )
    spec = json.loads((tmp_path / "m" / "model.json").read_text())
    # one template (parameters only) and one fitted booster, referenced from estimators_ and
    # named_estimators_ alike
    assert [sorted(m) for m in spec["members"]] == [
        ["params"],
        ["classes", "file", "importance_type"],
    ]
    back = load_model(tmp_path / "m").estimator
    assert back.estimators_[0] is back.named_estimators_["gbm"]
    assert isinstance(back.estimators[0][1], lgb.LGBMClassifier)
    assert back.estimators[0][1].get_params()["num_leaves"] == 7


def test_calibration_of_a_prefitted_booster_round_trips(tmp_path: Path) -> None:
    x, y = _xy()
    booster = _lgbm().fit(x[:500], y[:500])
    calibrated = CalibratedClassifierCV(FrozenEstimator(booster), method="sigmoid")
    calibrated.fit(x[500:], y[500:])
    model = FraudModel(kind="calibrated", estimator=calibrated, features=FEATURES)
    save_model(model, tmp_path / "m")
    np.testing.assert_array_equal(load_model(tmp_path / "m").score(x), model.score(x))


def _saved(tmp_path: Path, kind: str = "voting_soft") -> Path:
    x, y = _xy()
    model = FraudModel(kind=kind, estimator=BUILDERS[kind]().fit(x, y), features=FEATURES)
    return save_model(model, tmp_path / "m")


@pytest.mark.parametrize("name", ["member-001.lgb.txt", "estimator.skops"])
def test_a_changed_byte_is_refused(tmp_path: Path, name: str) -> None:
    path = _saved(tmp_path) / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArtefactError, match=f"{name} has sha256 .* altered or corrupted"):
        load_model(path.parent)


def test_a_missing_file_and_a_damaged_spec_are_refused(tmp_path: Path) -> None:
    directory = _saved(tmp_path)
    (directory / "member-001.lgb.txt").unlink()
    with pytest.raises(ArtefactError, match=r"lacks member-001\.lgb\.txt: refusing to load"):
        load_model(directory)
    (directory / "model.json").write_text("{not json")
    with pytest.raises(ArtefactError, match="not valid JSON"):
        load_model(directory)
    (directory / "model.json").unlink()
    with pytest.raises(ArtefactError, match="missing: not a saved fraudforge model"):
        load_model(directory)


class Custom(LogisticRegression):  # type: ignore[misc]
    """A type outside the trusted list."""


def test_an_untrusted_type_is_refused_before_loading(tmp_path: Path) -> None:
    x, y = _xy()
    model = FraudModel(kind="logistic", estimator=Custom().fit(x, y), features=FEATURES)
    directory = save_model(model, tmp_path / "m")
    with pytest.raises(ArtefactError, match=r"types outside the trusted list: tests\.models\."):
        load_model(directory)


def _not_json() -> None:
    """A parameter value no JSON spec can hold."""


def test_save_is_atomic_and_refuses_a_non_empty_target(tmp_path: Path) -> None:
    directory = _saved(tmp_path, "logistic")
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    x, y = _xy()
    bad = FraudModel(
        kind="logistic",
        estimator=LogisticRegression().fit(x, y),
        features=FEATURES,
        params={"callback": _not_json},
    )
    with pytest.raises(OutputExistsError):
        save_model(bad, directory)
    with pytest.raises(ArtefactError, match="cannot store the value <function _not_json at"):
        save_model(bad, directory, overwrite=True)
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


SAVED = Path(__file__).parent / "saved"
"""Models saved in spec format 1 (before array estimators), with the scores they gave then."""


def test_models_saved_in_format_1_still_load() -> None:
    """A LightGBM model and a fraud-type model saved in format 1 (the fraud-type model as a
    skops pipeline) load and score as they did when saved: the booster read by LightGBM and by
    fraudforge's own reader alike."""
    expected = np.load(SAVED / "format1-expected.npz")
    rows = expected["rows"]
    booster = load_model(SAVED / "format1-lightgbm")
    assert isinstance(booster.estimator, BoosterClassifier)
    assert (booster.kind, booster.features, booster.threshold) == ("lightgbm", ("a", "b", "c"), 0.4)
    np.testing.assert_array_equal(booster.score(rows), expected["proba"])
    served = read_model(SAVED / "format1-lightgbm", isolate=True)
    assert isinstance(served.estimator, TextClassifier)
    np.testing.assert_array_equal(served.score(rows), expected["proba"])
    types = load_model(SAVED / "format1-fraud-type")
    assert types.estimator.named_steps.keys() == {"impute", "scale", "logistic"}
    assert FraudTypes(types).predict_many(rows) == expected["types"].tolist()


def _fraud_types(tmp_path: Path) -> tuple[FraudModel, np.ndarray, Path]:
    """A three-type model fitted as the fraud-type pipeline, its rows, and where it is saved."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 4))
    x[rng.random(x.shape) < 0.1] = np.nan
    y = np.array(["card_testing", "money_mule", "stolen_card"])[
        np.argmax(np.nan_to_num(x[:, :3]), 1)
    ]
    pipeline = type_pipeline().fit(x, y)
    model = FraudModel(
        kind="logistic", estimator=LinearTypes.from_pipeline(pipeline), features=FEATURES
    )
    assert model.estimator.predict(x).tolist() == pipeline.predict(x).tolist()
    np.testing.assert_allclose(
        model.estimator.predict_proba(x), pipeline.predict_proba(x), rtol=1e-9
    )
    return model, x, save_model(model, tmp_path / "types")


def test_the_fraud_type_model_is_saved_as_arrays(tmp_path: Path) -> None:
    """The fraud-type model is saved as NumPy arrays (format 2, no skops file) and loads to the
    same arrays and predictions."""
    model, x, path = _fraud_types(tmp_path)
    assert sorted(p.name for p in path.iterdir()) == ["estimator.npz", "model.json"]
    spec = json.loads((path / "model.json").read_text())
    assert spec["format"] == 2
    assert spec["estimator"] == {"arrays": "estimator.npz", "type": "fraud-types"}
    back = load_model(path)
    assert isinstance(back.estimator, LinearTypes)
    for name, array in model.estimator.to_arrays().items():
        np.testing.assert_array_equal(back.estimator.to_arrays()[name], array)
    assert FraudTypes(back).predict_many(x) == model.estimator.predict(x).tolist()


def test_serving_reads_models_without_the_model_libraries(tmp_path: Path) -> None:
    """What the service loads (a booster read isolated, a fraud-type model) imports none of
    LightGBM, scikit-learn, skops or SciPy's sparse matrices (the serving image has none)."""
    _, _, types = _fraud_types(tmp_path)
    probe = f"""
import sys
from pathlib import Path
from fraudforge.models._store import read_model
from fraudforge.models.compiled import CompiledTrees, lightgbm_booster
from fraudforge.models.fraud_type import FraudTypes
model = read_model(Path({str(SAVED / "format1-lightgbm")!r}), isolate=True)
CompiledTrees.from_booster(lightgbm_booster(model.estimator))
FraudTypes(read_model(Path({str(types)!r})))
libraries = ("lightgbm", "sklearn", "skops", "joblib")
print(sorted(m for m in sys.modules if m.split(".")[0] in libraries))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_damaged_booster_read_for_serving_is_refused(tmp_path: Path) -> None:
    """Read isolated, a booster whose text is damaged (its hashes recorded) is an ArtefactError
    naming the file, and the format-1 spec format is still named as readable."""
    path = save_model(load_model(SAVED / "format1-lightgbm"), tmp_path / "m")
    member = path / "member-000.lgb.txt"
    member.write_text(member.read_text().replace("end of trees", ""))
    spec = json.loads((path / "model.json").read_text())
    from fraudforge.foundation.hashing import sha256_file

    spec["sha256"]["member-000.lgb.txt"] = sha256_file(member)
    (path / "model.json").write_text(json.dumps(spec))
    with pytest.raises(ArtefactError, match=r"member-000.lgb.txt: not a readable LightGBM model"):
        read_model(path, isolate=True)
    spec["format"] = 3
    (path / "model.json").write_text(json.dumps(spec))
    with pytest.raises(ArtefactError, match="has format 3: allowed are formats 1, 2"):
        read_model(path, isolate=True)


def test_without_the_model_libraries_what_needs_them_is_refused_by_name() -> None:
    """Where LightGBM, scikit-learn and skops are not installed (the serving image), a booster
    read isolated still loads, while a model that needs them (read by LightGBM, or saved through
    skops) is an ArtefactError naming the library and what can be served without it."""
    probe = f"""
import importlib.abc, sys
from pathlib import Path
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("lightgbm", "sklearn", "skops"):
            raise ImportError(f"No module named {{name!r}}")
sys.meta_path.insert(0, Absent())
from fraudforge.models._store import ArtefactError, read_model
saved = Path({str(SAVED)!r})
read_model(saved / "format1-lightgbm", isolate=True)
for name in ("format1-lightgbm", "format1-fraud-type"):
    try:
        read_model(saved / name)
    except ArtefactError as exc:
        print(exc)
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    booster, types = done.stdout.strip().splitlines()
    assert "format1-lightgbm needs lightgbm, which is not installed here" in booster
    assert "estimator.skops needs skops, which is not installed here" in types
    assert "the batch image" in types
