"""Helper processes of ``generate``: the same files as one process, and their errors surface;
the command's processes end without the interpreter's teardown."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from fraudforge.engine import _workers
from fraudforge.engine._workers import PartWorker, prestart_helpers, take_helpers
from fraudforge.engine.dataset import dataset_hash, generate, read_manifest
from fraudforge.engine.memory import plan_generation
from fraudforge.engine.scenario import Scenario
from fraudforge.engine.shard import build_world

S = Scenario(customers=600, days=20, seed=5, shard_size=100)


def test_helpers_write_the_same_files(tmp_path: Path) -> None:
    """Two workers (this process and a helper) write byte-identical part files to one worker's,
    with the same manifest entries and content hash."""
    assert plan_generation(S.resolved(), threads=2, chunk_shards=2).workers == 2
    one = generate(S, tmp_path / "one", threads=1, chunk_shards=2)
    two = generate(S, tmp_path / "two", threads=2, chunk_shards=2)
    assert len(two.files) == 2 * 3 + 1
    assert two.files == one.files  # paths, row counts and sha256 of every file
    assert two.content_hash == one.content_hash
    assert two.fraud_counts == one.fraud_counts


def test_a_failing_job_raises_with_the_helpers_traceback(tmp_path: Path) -> None:
    """A job that fails in the helper raises here, carrying the helper's traceback; the helper
    keeps serving."""
    worker = PartWorker(build_world(S.resolved()))
    try:
        with pytest.raises(RuntimeError, match=r"helper process failed:(.|\n)*IndexError"):
            worker.run((tmp_path, "parquet", 0, range(50, 51)))
        entries, records = worker.run((tmp_path, "parquet", 0, range(0, 1)))
        assert [e["path"] for e in entries] == [
            "transactions/part-00000.parquet",
            "customers/part-00000.parquet",
        ]
        assert [shard for shard, _ in records] == [0]
    finally:
        worker.close()


def test_a_world_that_cannot_be_sent_raises_on_run(tmp_path: Path) -> None:
    """The world goes to the helper from a thread of its own, so the constructor returns at
    once; a world that cannot be pickled is raised by the first ``run`` (which stops the
    helper) instead of leaving it waiting for input."""
    worker = PartWorker(lambda: None)  # a lambda does not pickle
    try:
        with pytest.raises(RuntimeError, match="could not be sent") as raised:
            worker.run((tmp_path, "parquet", 0, range(0, 1)))
        assert isinstance(raised.value.__cause__, (pickle.PicklingError, AttributeError))
    finally:
        worker.close()


def test_prestarted_helpers_are_taken_first_and_the_rest_stopped(tmp_path: Path) -> None:
    """``take_helpers`` hands out the helpers ``prestart_helpers`` started (before any world
    existed) in order, stops and reaps those beyond the count, and starts new ones when too few
    were started; a prestarted helper sent its world later writes the same file as a helper
    started with it."""
    prestart_helpers(2)
    ahead = list(_workers._spares)
    taken = take_helpers(1)
    more = take_helpers(2)  # none left ahead: two new ones
    try:
        assert taken == ahead[:1]
        assert ahead[1]._proc.returncode is not None  # stopped and reaped
        assert len(more) == 2
        assert not set(more) & set(ahead)
        assert _workers._spares == []
        world = build_world(S.resolved())
        a, b = tmp_path / "a", tmp_path / "b"
        a.mkdir()
        b.mkdir()
        taken[0].send_world(world)
        entries, records = taken[0].run((a, "parquet", 0, range(0, 1)))
        direct = PartWorker(world)
        try:
            again, _ = direct.run((b, "parquet", 0, range(0, 1)))
        finally:
            direct.close()
        assert [e["sha256"] for e in entries] == [e["sha256"] for e in again]
        assert [shard for shard, _ in records] == [0]
    finally:
        for worker in taken + more:
            worker.close()


def test_a_helper_without_a_world_refuses_jobs(tmp_path: Path) -> None:
    """A prestarted helper that was never sent a world raises on ``run`` instead of waiting."""
    worker = take_helpers(1)[0]
    try:
        with pytest.raises(RuntimeError, match="could not be sent"):
            worker.run((tmp_path, "parquet", 0, range(0, 1)))
    finally:
        worker.close()


def test_the_generate_command_as_a_process(tmp_path: Path) -> None:
    """``python -m fraudforge.cli generate`` (which ends without the interpreter's teardown,
    its helper too) exits 0 with its dataset complete and its summary printed."""
    out = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-m", "fraudforge.cli", "generate", "--customers", "600", "--days",
         "20", "--seed", "5", "--shard-size", "100", "--chunk-shards", "2", "--threads", "2",
         "--out", str(out)],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "100"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "content hash" in done.stdout
    m = read_manifest(out)
    assert m.content_hash == dataset_hash(out)
    assert m.rows["transactions"] > 0
