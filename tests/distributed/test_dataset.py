"""Generation on Ray writes the local engine's dataset: same content hash and rows whatever the
shards per task, and the same files as a local run with that many shards a file."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from fraudforge import distributed
from fraudforge.engine.dataset import Manifest, dataset_hash, generate, scan_dataset
from fraudforge.engine.errors import OutputExistsError, UnsafeOutputError
from tests.distributed.conftest import S


def _same_dataset(a: Manifest, b: Manifest) -> None:
    for field in ("content_hash", "rows", "fraud_counts", "anomaly_counts", "scenario", "resolved"):
        assert getattr(a, field) == getattr(b, field), field


@pytest.mark.parametrize("per_task", [1, 4])
def test_ray_dataset_equals_local(
    cluster: ModuleType, local_data: tuple[Path, Manifest], tmp_path: Path, per_task: int
) -> None:
    """Ray with 1 or 4 shards per task gives the local dataset's content hash, counts and rows
    (local files hold 2 shards), and byte-identical files to a local run with ``per_task``
    shards a file; the hash recomputed from the written files agrees."""
    local_dir, local = local_data
    out = tmp_path / "ray"
    progress: list[tuple[int, int, int]] = []
    m = distributed.generate(
        S, out, shards_per_task=per_task, progress=lambda *a: progress.append(a)
    )
    _same_dataset(m, local)
    assert dataset_hash(out) == local.content_hash
    for table in ("transactions", "customers", "merchants"):
        ours = scan_dataset(out, table).collect()
        assert ours.equals(scan_dataset(local_dir, table).collect()), table
    same_layout = generate(S, tmp_path / "local", chunk_shards=per_task)
    assert m.files == same_layout.files
    assert len([f for f in m.files if f["path"].startswith("transactions/")]) == -(-6 // per_task)
    assert sorted(p.name for p in (out / "transactions").iterdir()) == sorted(
        p.name for p in (tmp_path / "local" / "transactions").iterdir()
    )
    assert progress[-1] == (6, 6, local.rows["transactions"])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_ray_ipc_dataset_equals_local(cluster: ModuleType, tmp_path: Path) -> None:
    """The Arrow IPC format too: same files as a local run of the same layout."""
    m = distributed.generate(S, tmp_path / "ray", format="ipc", shards_per_task=3)
    local = generate(S, tmp_path / "local", format="ipc", chunk_shards=3)
    _same_dataset(m, local)
    assert m.files == local.files
    assert m.format == "ipc"


def test_ray_default_layout_is_the_local_default(cluster: ModuleType, tmp_path: Path) -> None:
    """Without shards_per_task, tasks write the files a default local run writes."""
    small = S.to_dict() | {"customers": 300, "shard_size": 100}
    scenario = type(S).from_mapping(small)
    assert distributed.generate(scenario, tmp_path / "ray").files == (
        generate(scenario, tmp_path / "local").files
    )


def test_overwrite_replaces_and_refusal_keeps(cluster: ModuleType, tmp_path: Path) -> None:
    """An existing dataset is kept unless overwrite is given, then replaced whole, with no
    staged or old directory left beside it; a directory that is not a dataset is never
    replaced."""
    out = tmp_path / "data"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(OutputExistsError):
        distributed.generate(S, out)
    with pytest.raises(UnsafeOutputError, match=r"it has no manifest\.json"):
        distributed.generate(S, out, overwrite=True)
    assert (out / "keep.txt").read_text() == "x"
    (out / "manifest.json").write_text("{}")  # now it holds a dataset: replaced whole
    distributed.generate(S, out, overwrite=True, shards_per_task=6)
    assert not (out / "keep.txt").exists()
    assert pl.read_parquet(out / "transactions" / "part-00000.parquet").height > 0
    assert [p.name for p in tmp_path.iterdir()] == ["data"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"shards_per_task": 0}, "shards_per_task=0 must be at least 1"),
        ({"format": "csv"}, "format 'csv' is not supported: allowed are parquet, ipc"),
    ],
)
def test_bad_options_are_named(tmp_path: Path, options: dict[str, object], message: str) -> None:
    """Bad options fail before any cluster work, naming what is allowed."""
    with pytest.raises(ValueError, match=message):
        distributed.generate(S, tmp_path / "x", **options)  # type: ignore[arg-type]
    assert not (tmp_path / "x").exists()
