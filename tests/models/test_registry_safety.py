"""The registry refuses what would lose or misread models, on real files: an emptied or missing
index over existing model files, a version directory the index does not own, an index path that
leads outside the registry, a damaged index (one clear error class, at the CLI one line and exit
2), and a damaged LightGBM file (refused from a child process instead of aborting this one)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pytest

from fraudforge.models import FraudModel
from fraudforge.models._lightgbm import BoosterClassifier
from fraudforge.models._store import ArtefactError, check_lightgbm_texts
from fraudforge.models.registry import INDEX_FILE, Registry, RegistryError, RegistryIndexError

FEATURES = ("amount_z", "txn_count_1h", "dist_home_km")


def _model() -> FraudModel:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 3))
    y = (x[:, 0] + rng.normal(scale=0.5, size=400)) > 1.0
    est = lgb.LGBMClassifier(n_estimators=5, num_leaves=7, verbose=-1).fit(x, y)
    return FraudModel(kind="lightgbm", estimator=est, features=FEATURES)


def _text_model(text: str, features: tuple[str, ...] = FEATURES) -> FraudModel:
    """A model whose stored LightGBM text is ``text`` as given (hashes recorded as usual)."""
    est = BoosterClassifier(model_str=text, classes=(False, True))
    est.classes_ = np.array([False, True])
    return FraudModel(kind="lightgbm", estimator=est, features=features)


def _registry(tmp_path: Path) -> Registry:
    reg = Registry(tmp_path / "reg")
    reg.register(_model(), name="fraud-model")
    reg.register(_model(), name="fraud-model")
    return reg


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / "models").rglob("*") if p.is_file())


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fraudforge.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "1000"},  # rich wraps at the terminal width otherwise
    )


def test_an_emptied_index_is_refused_and_no_model_file_is_deleted(tmp_path: Path) -> None:
    """Before: a 0-byte registry.sqlite was taken for a new registry and the next registration
    deleted models/NAME/v1. Now opening it is refused with how to recover, files untouched."""
    reg = _registry(tmp_path)
    before = _files(reg.root)
    (reg.root / INDEX_FILE).write_bytes(b"")
    for extra in ("-wal", "-shm"):
        Path(str(reg.root / INDEX_FILE) + extra).unlink(missing_ok=True)
    for create in (True, False):
        with pytest.raises(RegistryIndexError, match=r"Restore registry\.sqlite from a backup"):
            Registry(reg.root, create=create)
    assert (reg.root / INDEX_FILE).stat().st_size == 0
    assert _files(reg.root) == before


def test_a_missing_index_over_model_files_is_refused(tmp_path: Path) -> None:
    reg = _registry(tmp_path)
    before = _files(reg.root)
    for name in os.listdir(reg.root):
        if name.startswith(INDEX_FILE):
            (reg.root / name).unlink()
    with pytest.raises(RegistryIndexError, match=r"has no index.*move models/ out"):
        Registry(reg.root)
    assert _files(reg.root) == before


def test_registration_never_deletes_a_directory_the_index_does_not_own(tmp_path: Path) -> None:
    """A version directory the index does not list (an interrupted registration, or rows the
    index lost) is refused, not deleted."""
    reg = _registry(tmp_path)
    stray = reg.root / "models" / "fraud-model" / "v3"
    stray.mkdir()
    (stray / "model.json").write_text("{}")
    with pytest.raises(RegistryError, match="never deletes files its index does not own"):
        reg.register(_model(), name="fraud-model")
    assert (stray / "model.json").read_text() == "{}"
    assert [v.version for v in reg.list("fraud-model")] == [1, 2]


@pytest.mark.parametrize("path", ["../../outside", "/tmp", "models/../../outside", "models"])
def test_an_index_path_outside_the_registry_is_refused(tmp_path: Path, path: str) -> None:
    reg = _registry(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    with sqlite3.connect(reg.root / INDEX_FILE) as db:
        db.execute("UPDATE versions SET path = ? WHERE version = 1", (path,))
    with pytest.raises(ArtefactError, match="outside the registry"):
        reg.load("fraud-model", 1)
    with pytest.raises(ArtefactError, match="outside the registry"):
        reg.check("fraud-model", 1)
    reg.load("fraud-model", 2)  # the rest of the registry still loads


def test_a_symlinked_version_directory_leading_out_is_refused(tmp_path: Path) -> None:
    reg = _registry(tmp_path)
    v1 = reg.root / "models" / "fraud-model" / "v1"
    moved = tmp_path / "elsewhere"
    v1.rename(moved)
    v1.symlink_to(moved, target_is_directory=True)
    with pytest.raises(ArtefactError, match="outside the registry"):
        reg.load("fraud-model", 1)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_index_raises_one_error_class(tmp_path: Path, damage: str) -> None:
    """Any SQLite failure is a RegistryIndexError naming the file; the CLI prints one line and
    exits 2 (no traceback)."""
    reg = _registry(tmp_path)
    index = reg.root / INDEX_FILE
    with sqlite3.connect(index) as db:  # fold the WAL in, so the file holds everything
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = index.read_bytes()
    index.write_bytes(b"x" * 4096 if damage == "garbage" else data[:100] + b"\0" * 3000)
    with pytest.raises(RegistryIndexError, match=r"registry index .*registry.sqlite"):
        Registry(reg.root, create=False).list()
    done = _cli("registry", "list", "--registry", str(reg.root))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "registry.sqlite" in done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr


def test_lightgbm_aborts_on_a_truncated_model_and_the_check_refuses_it(tmp_path: Path) -> None:
    """The reproduction: LightGBM aborts the process loading a truncated model (SIGABRT). The
    check runs that in a child and answers an ArtefactError with LightGBM's own reason."""
    model = _model()
    text = model.estimator.booster_.model_to_string()
    bad = text[: len(text) // 2]
    (tmp_path / "bad.txt").write_text(bad)
    path = str(tmp_path / "bad.txt")
    loader = f"import lightgbm; lightgbm.Booster(model_str=open({path!r}).read())"
    # LightGBM may print bytes of the damaged text that are not UTF-8 before it aborts.
    crashed = subprocess.run(
        [sys.executable, "-c", loader], capture_output=True, text=True, errors="replace"
    )
    assert crashed.returncode == -signal.SIGABRT, (crashed.returncode, crashed.stderr[-300:])
    with pytest.raises(ArtefactError, match=r"bad\.txt: not a readable LightGBM model.*SIGABRT"):
        check_lightgbm_texts([("bad.txt", bad)], 3)
    check_lightgbm_texts([("good.txt", text)], 3)
    with pytest.raises(ArtefactError, match="reads 3 features, the model's spec lists 2"):
        check_lightgbm_texts([("good.txt", text)], 2)


def test_load_isolated_refuses_a_damaged_model_without_aborting(tmp_path: Path) -> None:
    """A registered model whose LightGBM file is damaged but whose hashes were recorded (a bad
    writer, or a file and its hashes replaced): ``load(isolate=True)`` and ``check`` refuse it;
    a model that reads another number of features than its spec lists is refused too."""
    reg = _registry(tmp_path)
    text = _model().estimator.booster_.model_to_string()
    bad = reg.register(_text_model(text[: len(text) // 2]), name="fraud-model")
    with pytest.raises(ArtefactError, match="not a readable LightGBM model"):
        reg.load("fraud-model", bad.version, isolate=True)
    with pytest.raises(ArtefactError, match="not a readable LightGBM model"):
        reg.check("fraud-model", bad.version)
    wrong = reg.register(_text_model(text, FEATURES[:2]), name="fraud-model")
    with pytest.raises(ArtefactError, match="reads 3 features, the model's spec lists 2"):
        reg.check("fraud-model", wrong.version)
    with pytest.raises(ArtefactError, match="reads 3 features, the model's spec lists 2"):
        reg.load("fraud-model", wrong.version)  # in-process: LightGBM reads it, the count differs
    assert reg.load("fraud-model", 1, isolate=True).features == FEATURES
