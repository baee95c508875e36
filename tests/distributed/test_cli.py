"""`fraudforge generate|features --backend ray`: the same outputs as the local backend, and a
clear error when Ray is not installed."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

from fraudforge.cli import main
from fraudforge.engine.dataset import Manifest, read_manifest
from fraudforge.features.pipeline import read_features
from tests.distributed.conftest import LOCAL_CHUNK, S


def _flags() -> list[str]:
    return [
        "--customers", str(S.customers), "--days", str(S.days), "--fraud-rate", str(S.fraud_rate),
        "--seed", str(S.seed), "--shard-size", str(S.shard_size),
    ]  # fmt: skip


def test_generate_and_features_with_ray_backend(
    cluster: ModuleType,
    local_data: tuple[Path, Manifest],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Both commands run on the cluster, show their progress and summary, and write what the
    local backend writes."""
    data = tmp_path / "data"
    argv = ["generate", "--backend", "ray", "--chunk-shards", str(LOCAL_CHUNK), "--out", str(data)]
    assert main([*argv, *_flags()]) == 0
    printed = capsys.readouterr()
    assert "content hash" in printed.out
    assert "generate: writing" in printed.err
    m = read_manifest(data)
    assert m.content_hash == local_data[1].content_hash
    assert m.files == local_data[1].files
    feats = tmp_path / "features"
    assert main(["features", "--backend", "ray", "--in", str(data), "--out", str(feats)]) == 0
    assert "69 features" in capsys.readouterr().out
    fm, _ = read_features(feats)
    assert fm.rows == m.rows["transactions"]
    assert fm.source_content_hash == m.content_hash


@pytest.mark.parametrize("command", ["generate", "features"])
def test_missing_ray_is_explained(
    monkeypatch: pytest.MonkeyPatch,
    local_data: tuple[Path, Manifest],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    """Without Ray importable, both commands exit 2 naming the install command, writing
    nothing."""
    monkeypatch.setitem(sys.modules, "ray", None)
    out = tmp_path / "out"
    if command == "generate":
        argv = ["generate", "--backend", "ray", "--quiet", "--out", str(out), *_flags()]
    else:
        argv = ["features", "--backend", "ray", "--in", str(local_data[0]), "--out", str(out)]
    assert main(argv) == 2
    assert "the ray backend needs `pip install 'fraudforge[ray]'`" in capsys.readouterr().err
    assert not out.exists()
