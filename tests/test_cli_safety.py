"""The command line loses nothing: ``--overwrite`` replaces only fraudforge outputs, models are
never trained or scored on features of another dataset, and Ctrl-C (a real SIGINT to the
process group, as a terminal sends it) stops a run with one line, exit 130 and the previous
output intact."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from polars.exceptions import ComputeError

from fraudforge.cli import main
from fraudforge.engine.dataset import generate, read_manifest
from fraudforge.engine.scenario import Scenario
from fraudforge.features.pipeline import build_features

SMALL = Scenario(customers=400, days=30, fraud_rate=0.05, seed=3)
OTHER = SMALL.replace(seed=4)


@pytest.fixture(scope="module")
def two_datasets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Two datasets of the same size from different seeds, and the features of the first."""
    root = tmp_path_factory.mktemp("two")
    generate(SMALL, root / "a")
    generate(OTHER, root / "b")
    build_features(root / "a", root / "fa")
    return root / "a", root / "b", root / "fa"


# --- overwrite --------------------------------------------------------------------------------


def test_overwrite_refuses_the_working_directory_and_its_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--out .`` and ``--out ../inner`` run inside ``inner`` are refused with one line (no
    traceback) even with --overwrite and even when the directory holds a dataset."""
    inner = tmp_path / "inner"
    generate(SMALL.replace(customers=50), inner)
    before = read_manifest(inner).content_hash
    monkeypatch.chdir(inner)
    for out in (".", "../inner", ".."):
        code = main(["generate", "--customers", "50", "--out", out, "--overwrite", "--quiet"])
        assert code == 2
        text = capsys.readouterr().err
        assert "refusing to replace" in text
        assert "working directory" in text
        assert "Traceback" not in text
        assert len(text.strip().splitlines()) == 1
    assert read_manifest(inner).content_hash == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inner"]


def test_features_overwrite_refuses_a_foreign_directory(
    two_datasets: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``features --overwrite`` replaces a features directory, never one without features.json."""
    data, _, _ = two_datasets
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "todo.txt").write_text("keep me")
    args = ["features", "--in", str(data), "--out", str(foreign), "--overwrite"]
    assert main(args) == 2
    assert "it has no features.json" in capsys.readouterr().err
    assert (foreign / "todo.txt").read_text() == "keep me"


# --- features of another dataset --------------------------------------------------------------


def test_features_of_another_dataset_are_refused(
    two_datasets: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """train, tune, report and compare refuse features computed from another dataset (their ids
    would join), naming both content hashes; nothing is registered or written."""
    a, b, fa = two_datasets
    ha, hb = read_manifest(a).content_hash, read_manifest(b).content_hash
    assert ha != hb
    reg = tmp_path / "reg"
    split = ["--gap-days", "2", "--test-days", "5", "--validation-days", "5"]
    train = ["train", "--features", str(fa), "--model", "logistic", *split, "--registry", str(reg)]
    assert main([*train, "--data", str(a), "--name", "ok"]) == 0
    capsys.readouterr()
    commands = {
        "train": [*train, "--data", str(b), "--name", "wrong"],
        "tune": ["tune", "--data", str(b), "--features", str(fa), "--model", "logistic"],
        "report": ["report", "--data", str(b), "--features", str(fa), "--out", str(tmp_path / "r")],
        "compare": ["compare", "--registry", str(reg), "--data", str(b), "--features", str(fa)],
    }
    for name, args in commands.items():
        assert main(args) == 2, name
        text = capsys.readouterr().err.replace("\n", "")
        assert "were computed from another dataset" in text, name
        assert ha in text, name
        assert hb in text, name
    assert not (tmp_path / "r").exists()
    # the refused train wrote nothing: only the first one's model and its fraud-type model
    assert sorted(p.name for p in (reg / "models").iterdir()) == ["ok", "ok-type"]


def test_a_directory_without_features_is_named(
    two_datasets: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A features path that holds no features.json is an error naming it, not a raw Errno."""
    a, _, _ = two_datasets
    assert main(["tune", "--data", str(a), "--features", str(tmp_path), "--model", "logistic"]) == 2
    text = capsys.readouterr().err.replace("\n", "")
    assert "is not a features directory: it has no features.json" in text
    assert "Errno" not in text


# --- Ctrl-C -----------------------------------------------------------------------------------


def _interrupt_when_staged(args: list[str], parent: Path, name: str) -> tuple[int, str]:
    """Run ``fraudforge ARGS`` in its own process group, send SIGINT to the whole group (as a
    terminal's Ctrl-C does) as soon as its staged output directory has files in it, and return
    the exit code and standard error."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fraudforge.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        staged = list(parent.glob(f".{name}.partial-*"))
        if staged and any(p.is_file() for p in staged[0].rglob("*")):
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    return proc.returncode, stderr


def _assert_one_line_and_nothing_left(code: int, stderr: str, parent: Path, kept: set[str]) -> None:
    assert code == 130
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if "interrupted" in line]
    assert lines == [lines[0]]
    assert "interrupted (SIGINT)" in lines[0]
    assert "previous output intact" in lines[0]
    assert {p.name for p in parent.iterdir()} == kept


def test_ctrl_c_during_generate_keeps_the_previous_dataset(tmp_path: Path) -> None:
    """Ctrl-C in the middle of ``generate --overwrite`` with two workers (a helper process in
    the same process group): exit 130, one line, no traceback from either process, the previous
    dataset byte for byte as it was, no staged directory left."""
    out = tmp_path / "data"
    generate(SMALL, out)
    before = read_manifest(out).content_hash
    args = ["generate", "--rows", "3000000", "--out", str(out), "--overwrite", "--threads", "2"]
    code, stderr = _interrupt_when_staged(args, tmp_path, "data")
    _assert_one_line_and_nothing_left(code, stderr, tmp_path, {"data"})
    assert read_manifest(out).content_hash == before


def test_ctrl_c_during_features_keeps_the_previous_features(
    two_datasets: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """Ctrl-C in the middle of ``features --overwrite``: exit 130, one line, the previous
    features directory as it was."""
    big = tmp_path / "big"
    generate(Scenario(target_rows=600_000, seed=5), big)
    feats = tmp_path / "feats"
    build_features(two_datasets[0], feats)
    before = (feats / "features.json").read_bytes()
    args = ["features", "--in", str(big), "--out", str(feats), "--overwrite"]
    code, stderr = _interrupt_when_staged(args, tmp_path, "feats")
    _assert_one_line_and_nothing_left(code, stderr, tmp_path, {"big", "feats"})
    assert (feats / "features.json").read_bytes() == before


@pytest.mark.parametrize(
    "error",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        OSError("No space left on device (os error 28)"),  # as Polars raises an IPC write's
        ComputeError(  # and a Parquet write's (seen on a full tmpfs)
            "parquet: File out of specification: underlying IO error: No space left on device "
            "(os error 28)"
        ),
    ],
)
def test_a_full_disk_is_one_line_and_the_previous_output_stays(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    error: Exception,
) -> None:
    """A write that runs out of room mid-command answers one line naming it and what the
    command's outputs take (exit 2), removes what the run wrote and keeps the previous
    output."""
    from fraudforge.features import pipeline

    data, out = tmp_path / "data", tmp_path / "features"
    generate(Scenario(customers=100, days=10, seed=4), data, threads=1)
    assert main(["features", str(data), "--out", str(out), "--quiet"]) == 0
    before = sorted(p.name for p in (out / "features").iterdir())
    capsys.readouterr()

    def full(self: object, frame: object, path: Path) -> None:
        raise error

    monkeypatch.setattr(pipeline.FeaturesWriter, "submit", full)
    assert main(["features", str(data), "--out", str(out), "--overwrite", "--quiet"]) == 2
    message = " ".join(capsys.readouterr().err.split())
    assert message.startswith(
        "error: no space left on the device: features stopped and removed what it had written"
    )
    assert "250 MiB a million rows" in message
    assert sorted(p.name for p in (out / "features").iterdir()) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_other_os_errors_keep_their_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """An I/O error that is not a full disk is not turned into a user's error."""
    import fraudforge.cli.data as data_commands

    def broken(args: object) -> int:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(data_commands, "cmd_warmup", broken)
    monkeypatch.setattr("fraudforge.cli._command.cmd_warmup", broken)
    with pytest.raises(OSError, match="Input/output error"):
        main(["warmup"])
