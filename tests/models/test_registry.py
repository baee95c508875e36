"""The embedded registry on real files: versions, metadata, sha256 checks, stages and promotion,
best-by-metric, and concurrent writers."""

from __future__ import annotations

import multiprocessing
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from fraudforge.engine.scenario import Scenario
from fraudforge.features.pipeline import catalog_hash
from fraudforge.models import FraudModel
from fraudforge.models._store import ArtefactError
from fraudforge.models.registry import CatalogMismatchError, Registry, RegistryError
from tests.models.evaluations import ev

FEATURES = ("amount_z", "txn_count_1h", "dist_home_km")


def _xy(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(500, 3))
    return x, (x[:, 0] + rng.normal(scale=0.6, size=500)) > 1.0


def _logistic(c: float = 1.0) -> FraudModel:
    x, y = _xy()
    est = LogisticRegression(C=c).fit(x, y)
    return FraudModel(kind="logistic", estimator=est, features=FEATURES, params={"C": c})


def _lightgbm() -> FraudModel:
    x, y = _xy()
    est = lgb.LGBMClassifier(n_estimators=15, num_leaves=5, verbose=-1).fit(x, y)
    return FraudModel(kind="lightgbm", estimator=est, features=FEATURES, threshold=0.3)


def test_register_records_metadata_and_loads_identical_scores(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "reg")
    scenario = Scenario(customers=1500, days=30, seed=3)
    model = _lightgbm()
    mv = reg.register(
        model,
        name="fraud-gbm",
        metrics=ev(by_fraud_type={"card_testing": {"recall": 0.75, "rows": 9800.0}}),
        scenario=scenario,
        data_hash="abc123",
        tags=["demo", "baseline", "demo"],
        description="first",
    )
    assert (mv.name, mv.version, mv.stage, mv.kind) == ("fraud-gbm", 1, "none", "lightgbm")
    assert mv.features == FEATURES
    assert mv.catalog_hash == catalog_hash()
    assert mv.scenario == scenario.to_dict()
    assert mv.data_hash == "abc123"
    assert mv.metrics["roc_auc"] == 0.9
    assert mv.metric("by_fraud_type.card_testing.recall") == 0.75
    assert mv.metric("by_fraud_type.unknown.recall") is None
    assert mv.tags == ("baseline", "demo")
    assert mv.threshold == 0.3
    assert mv.libraries["lightgbm"] == lgb.__version__
    assert set(mv.libraries) >= {"python", "numpy", "polars", "scikit-learn", "skops"}
    assert datetime.fromisoformat(mv.created_at).tzinfo is not None
    assert mv.path == "models/fraud-gbm/v1"
    assert sorted(mv.files) == ["member-000.lgb.txt", "model.json"]
    assert all(len(d) == 64 for d in mv.files.values())

    second = reg.register(_logistic(), name="fraud-gbm")
    other = reg.register(_logistic(), name="fraud-lr")
    assert (second.version, other.version) == (2, 1)
    assert [(v.name, v.version) for v in reg.list()] == [
        ("fraud-gbm", 1),
        ("fraud-gbm", 2),
        ("fraud-lr", 1),
    ]
    assert [v.version for v in reg.list(tag="demo")] == [1]
    assert reg.show("fraud-gbm").version == 2

    loaded = reg.load("fraud-gbm", 1)
    x, _ = _xy(seed=9)
    np.testing.assert_array_equal(loaded.score(x), model.score(x))
    assert (loaded.name, loaded.threshold, loaded.features) == ("fraud-gbm", 0.3, FEATURES)
    # a second Registry on the same directory sees the same index
    assert Registry(tmp_path / "reg", create=False).names() == ["fraud-gbm", "fraud-lr"]


@pytest.mark.parametrize("file", ["member-000.lgb.txt", "model.json"])
def test_an_altered_byte_is_refused(tmp_path: Path, file: str) -> None:
    reg = Registry(tmp_path)
    mv = reg.register(_lightgbm(), name="m")
    path = tmp_path / mv.path / file
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x20
    path.write_bytes(bytes(data))
    with pytest.raises(ArtefactError, match=f"m v1: .*{file} has sha256 .* altered or corrupted"):
        reg.load("m")


def test_missing_and_extra_files_are_refused(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    mv = reg.register(_logistic(), name="m")
    directory = tmp_path / mv.path
    (directory / "notes.txt").write_text("hello")
    with pytest.raises(ArtefactError, match=r"unexpected file\(s\) notes\.txt"):
        reg.load("m")
    (directory / "notes.txt").unlink()
    (directory / "estimator.skops").unlink()
    with pytest.raises(ArtefactError, match=r"estimator\.skops is missing; refusing to load"):
        reg.load("m")


def test_a_model_of_another_catalogue_is_refused_when_asked(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    reg.register(_logistic(), name="old", catalog_hash="0" * 64)
    reg.register(_logistic(), name="new")
    with pytest.raises(CatalogMismatchError, match="old v1 was trained on features catalogue 0000"):
        reg.load("old", check_catalog=True)
    assert reg.load("old").kind == "logistic"  # not asked: loads
    assert reg.load("new", check_catalog=True).kind == "logistic"


def test_promotion_to_production_archives_the_previous_one(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    for c in (0.1, 1.0, 10.0):
        reg.register(_logistic(c), name="m")
    reg.promote("m", 1, "production")
    reg.promote("m", 2, "staging")
    reg.promote("m", 3, "staging")
    assert [v.stage for v in reg.list("m")] == ["production", "staging", "staging"]
    assert reg.show("m", stage="staging").version == 3
    reg.promote("m", 2, "production")
    assert [v.stage for v in reg.list("m")] == ["archived", "production", "staging"]
    assert reg.load("m", stage="production").params == {"C": 1.0}
    assert [s for s, _ in reg.history("m", 1)] == ["none", "production", "archived"]
    assert [s for s, _ in reg.history("m", 2)] == ["none", "staging", "production"]
    reg.promote("m", 2, "production")  # already there: stays, nothing else archived
    assert [v.version for v in reg.list("m", stage="production")] == [2]
    assert [v.version for v in reg.list(stage="archived")] == [1]


def test_a_bare_name_is_the_production_version_else_the_newest(tmp_path: Path) -> None:
    """The one rule of ``wire.reference``: ``show``, ``load`` and ``resolve`` read a name alone
    as its production version when one is promoted, otherwise as its newest version."""
    reg = Registry(tmp_path)
    for c in (0.1, 1.0, 10.0):
        reg.register(_logistic(c), name="m")
    assert reg.show("m").version == 3
    assert reg.resolve("m").version == 3
    reg.promote("m", 2, "production")
    assert reg.show("m").version == 2
    assert reg.load("m").params == {"C": 1.0}
    assert [reg.resolve(ref).version for ref in ("m", "m:3", "m@production", "m@none")] == [
        2, 3, 2, 3,
    ]  # fmt: skip
    reg.promote("m", 2, "archived")
    assert reg.resolve("m").version == 3
    with pytest.raises(ValueError, match="invalid model reference `m:v3`: allowed are NAME,"):
        reg.resolve("m:v3")


def test_unknown_names_versions_and_stages_are_named(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    with pytest.raises(RegistryError, match=r"unknown model `m`: registered are none"):
        reg.show("m")
    for _ in range(3):
        reg.register(_logistic(), name="m")
    reg.register(_logistic(), name="n")
    with pytest.raises(RegistryError, match="unknown model `x`: registered are m, n"):
        reg.load("x")
    with pytest.raises(RegistryError, match="model m has no version 7: allowed are 1-3"):
        reg.promote("m", 7, "staging")
    with pytest.raises(
        RegistryError, match="unknown stage `prod`: allowed are none, staging, production"
    ):
        reg.promote("m", 1, "prod")
    with pytest.raises(RegistryError, match="model m has no version in stage production"):
        reg.load("m", stage="production")
    with pytest.raises(RegistryError, match="invalid model name 'a/b'"):
        reg.register(_logistic(), name="a/b")


def test_best_version_by_metric_and_direction(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    values = [(0.80, 0.02), (0.93, 0.05), (0.88, 0.01), (0.93, 0.03)]
    for auc, rate in values:
        reg.register(
            _logistic(),
            name="m",
            metrics={"roc_auc": auc, "alert_rate": rate, "custom": auc * 2},
        )
    reg.register(_logistic(), name="m", metrics={"roc_auc": None})
    assert reg.best("m", "roc_auc").version == 4  # 2 and 4 tie at 0.93: the newer wins
    assert reg.best("m", "alert_rate").version == 3  # lower is better
    assert reg.best("m", "custom", higher_is_better=False).version == 1
    with pytest.raises(RegistryError, match="no known direction for metric `custom`"):
        reg.best("m", "custom")
    reg.promote("m", 1, "staging")
    assert reg.best("m", "roc_auc", stage="staging").version == 1
    with pytest.raises(RegistryError, match="no version of m in stage production has"):
        reg.best("m", "roc_auc", stage="production")


def test_a_failed_registration_leaves_nothing_behind(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    bad = _logistic()
    bad.params["callback"] = print
    with pytest.raises(ArtefactError, match="cannot store the value"):
        reg.register(bad, name="m")
    assert reg.names() == []
    assert list((tmp_path / "models" / "m").iterdir()) == []
    assert reg.register(_logistic(), name="m").version == 1


def test_directories_that_are_not_registries_are_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "file.parquet").write_bytes(b"x")
    with pytest.raises(RegistryError, match="is not a model registry and is not empty"):
        Registry(tmp_path / "data")
    with pytest.raises(RegistryError, match="no model registry at"):
        Registry(tmp_path / "nowhere", create=False)
    Registry(tmp_path / "reg")
    with sqlite3.connect(tmp_path / "reg" / "registry.sqlite") as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(RegistryError, match="schema version 99"):
        Registry(tmp_path / "reg")


def test_concurrent_writers_in_threads_get_distinct_versions(tmp_path: Path) -> None:
    Registry(tmp_path)
    model = _logistic()

    def register(i: int) -> int:
        return Registry(tmp_path).register(model, name="m", tags=[f"t{i}"]).version

    with ThreadPoolExecutor(max_workers=6) as pool:
        versions = list(pool.map(register, range(12)))
    assert sorted(versions) == list(range(1, 13))
    reg = Registry(tmp_path)
    assert [v.tags for v in reg.list("m")] == [(f"t{versions.index(n)}",) for n in range(1, 13)]
    for n in range(1, 13):
        assert reg.load("m", n).kind == "logistic"


def _register_in_process(root: str, count: int) -> list[int]:
    model = _logistic()
    return [Registry(root).register(model, name="m").version for _ in range(count)]


def test_concurrent_writers_in_processes_get_distinct_versions(tmp_path: Path) -> None:
    Registry(tmp_path)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        results = pool.starmap(_register_in_process, [(str(tmp_path), 4), (str(tmp_path), 4)])
    assert sorted(v for r in results for v in r) == list(range(1, 9))
    assert [v.version for v in Registry(tmp_path).list("m")] == list(range(1, 9))
