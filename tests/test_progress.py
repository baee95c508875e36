"""Progress of long commands: one line every few seconds when stderr is not a terminal, the rate
and the time left, nothing with --quiet, and a word before the kernels compile."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from fraudforge.cli import main
from fraudforge.cli import progress as cli_progress
from fraudforge.cli.progress import Meter


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _meter(quiet: bool = False) -> tuple[Meter, Clock, io.StringIO]:
    buf, clock = io.StringIO(), Clock()
    console = Console(file=buf, width=200, force_terminal=False)
    meter = Meter(
        "features", units={"buckets": "buckets"}, console=console, clock=clock, quiet=quiet
    )
    return meter, clock, buf


def test_log_lines_off_a_terminal_show_rate_and_time_left() -> None:
    """Off a terminal: the first report of a step at once, then at most one line per 5 s, the
    last state of a step when the next begins, and the final state at the end."""
    meter, clock, buf = _meter()
    with meter:
        meter.phase("reading")
        clock.now += 2
        meter("buckets", 0, 2)
        clock.now += 2
        meter("buckets", 2, 2)
        for done in (100_000, 200_000, 300_000, 400_000):
            clock.now += 2
            meter("rows", done, 1_000_000)
    assert buf.getvalue().splitlines() == [
        "features: reading, 0 s elapsed",
        "features: buckets 0/2 buckets, 2 s elapsed",
        "features: buckets 2/2 buckets, 0.50 buckets/s, done, 4 s elapsed",
        "features: rows 100,000/1,000,000 rows, 50,000 rows/s, about 18 s left, 6 s elapsed",
        "features: rows 400,000/1,000,000 rows, 50,000 rows/s, about 12 s left, 12 s elapsed",
    ]


def test_quiet_prints_nothing() -> None:
    meter, clock, buf = _meter(quiet=True)
    with meter:
        for done in range(5):
            clock.now += 10
            meter("rows", done, 4)
    assert buf.getvalue() == ""


def test_long_durations_read_as_minutes_and_hours() -> None:
    meter, clock, buf = _meter()
    with meter:
        meter("rows", 0, 10_000)
        clock.now += 60
        meter("rows", 1, 10_000)
    last = buf.getvalue().splitlines()[-1]
    assert "about 166 h 39 min left" in last
    assert "1 min 00 s elapsed" in last


def test_generate_train_report_progress_off_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The commands print their progress on stderr when it is not a terminal (as in CI or a
    container), and nothing with --quiet."""
    data, feats = tmp_path / "data", tmp_path / "features"
    assert main(["generate", "--customers", "400", "--days", "40", "--out", str(data)]) == 0
    err = capsys.readouterr().err
    assert "generate: writing 1/1 shards" in err
    assert " rows, " in err
    assert main(["features", "--in", str(data), "--out", str(feats)]) == 0
    err = capsys.readouterr().err
    assert "features: merchant, device and payee features 1/1 buckets" in err
    assert "features: customer features 0/" in err
    train = ["train", "--data", str(data), "--features", str(feats), "--params"]
    assert main([*train, '{"n_estimators": 7}', "--validation-days", "3", "--test-days", "3"]) == 0
    err = capsys.readouterr().err
    assert "train: reading the features" in err
    assert "train: boosting 7/7 rounds" in err
    assert "train: evaluating" in err
    report = tmp_path / "r.html"
    assert main(["report", "--data", str(data), "--out", str(report)]) == 0
    err = capsys.readouterr().err
    assert "report: analysing" in err
    assert main(["features", "--in", str(data), "--out", str(feats), "--overwrite", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_report_refuses_a_missing_directory_before_working(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "absent" / "r.html"
    assert main(["report", "--data", str(tmp_path / "nodata"), "--out", str(target)]) == 2
    assert f"directory {target.parent} does not exist" in capsys.readouterr().err
    assert not target.parent.exists()


def test_cold_kernels_are_announced(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before features compile, the command says so and how to compile ahead."""
    import fraudforge.features.warmup as warmup

    meter, _, buf = _meter()
    monkeypatch.setattr(warmup, "cold_kernels", lambda: ["a", "b"])
    cli_progress.announce_compilation(meter)
    assert "compiling 2 feature kernels (first run only" in buf.getvalue()
    assert "fraudforge warmup" in buf.getvalue()
    monkeypatch.setattr(warmup, "cold_kernels", lambda: [])
    buf.truncate(0)
    cli_progress.announce_compilation(meter)
    assert buf.getvalue().strip("\x00") == ""


def test_warmup_fills_an_empty_kernel_cache(tmp_path: Path) -> None:
    """With an empty Numba cache every feature kernel is cold; `fraudforge warmup` compiles and
    caches them all, after which none is cold (a real compile: about 20 s)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    probe = [
        sys.executable,
        "-c",
        "from fraudforge.features.warmup import cold_kernels as c; print(len(c()))",
    ]
    before = subprocess.run(probe, env=env, capture_output=True, text=True, check=True)
    assert int(before.stdout) >= 8
    warm = subprocess.run(
        [sys.executable, "-m", "fraudforge.cli", "warmup"], env=env, capture_output=True, text=True
    )
    assert warm.returncode == 0, warm.stderr
    assert f"warmup: {int(before.stdout)} feature kernels compiled" in warm.stdout
    assert "warmup: compiling kernels" in warm.stderr
    after = subprocess.run(probe, env=env, capture_output=True, text=True, check=True)
    assert int(after.stdout) == 0
    again = subprocess.run(
        [sys.executable, "-m", "fraudforge.cli", "warmup"], env=env, capture_output=True, text=True
    )
    assert "already compiled" in again.stdout


def test_features_progress_within_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Off a terminal, `features` counts rows as the batches of a file are done (a one-file
    dataset shows more than 0 then all), each line with the rate; a bad batch size is refused
    naming what is allowed."""
    import functools
    import re

    from fraudforge.cli import data as cli_data

    data, feats = tmp_path / "data", tmp_path / "features"
    assert main(["generate", "--customers", "300", "--days", "30", "--out", str(data)]) == 0
    capsys.readouterr()
    monkeypatch.setattr(cli_data, "Meter", functools.partial(Meter, every=0.0))
    args = ["features", "--in", str(data), "--out", str(feats), "--batch-rows", "2000"]
    assert main(args) == 0
    lines = [x for x in capsys.readouterr().err.splitlines() if "customer features" in x]
    counts = [
        tuple(int(v.replace(",", "")) for v in m.groups())
        for m in (re.search(r"customer features ([\d,]+)/([\d,]+) rows", x) for x in lines)
        if m
    ]
    assert len(counts) == len(lines) > 3
    done = [d for d, _ in counts]
    total = counts[0][1]
    assert done[0] == 0
    assert done[-1] == total
    assert all(0 < d < total for d in done[1:-2])
    assert done == sorted(done)
    assert all("rows/s" in x for x in lines[1:])
    bad = ["features", "--in", str(data), "--out", str(tmp_path / "g"), "--batch-rows", "0"]
    assert main(bad) == 2
    assert "batch_rows=0 is invalid: allowed is at least 1" in capsys.readouterr().err
