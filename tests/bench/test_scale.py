"""``fraudforge bench scale`` at tiny sizes: real child processes, real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fraudforge.bench.scale import Point, ScaleConfig, measure, parse_counts, sweep, usable_cores
from fraudforge.bench.scale_report import (
    build_report,
    exponent,
    plot,
    read_report,
    speedups,
    summarize,
    write_outputs,
)
from fraudforge.cli import main
from fraudforge.foundation.machine import MIB

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WORKERS = (1, 2) if len(usable_cores()) >= 2 else (1,)
CONFIG = ScaleConfig(rows=(3_000, 8_000), workers=WORKERS, shard_sizes=(128,), seed=3)


@pytest.fixture(scope="module")
def points(tmp_path_factory: pytest.TempPathFactory) -> list[Point]:
    """One tiny sweep: both stages, two sizes, each worker count, no warm-up."""
    return sweep(CONFIG, scratch=tmp_path_factory.mktemp("scratch"), warmup=False)


def test_every_point_is_measured_in_its_own_pinned_process(points: list[Point]) -> None:
    """Every stage x size x worker count appears once, pinned to that many cores, with rows,
    positive times and memory, and the load average around it."""
    keys = sorted((p.stage, p.target_rows, p.workers) for p in points)
    expected = sorted(
        (s, r, w) for s in ("generate", "features") for r in CONFIG.rows for w in WORKERS
    )
    assert keys == expected
    for p in points:
        assert p.cores == usable_cores()[: p.workers]
        assert p.rows > 0
        assert p.seconds > 0
        assert p.process_wall_s > p.seconds
        assert p.process_cpu_s >= p.cpu_s > 0
        assert p.peak_rss_mib >= p.main_rss_mib > 50
        assert len(p.load_before) == len(p.load_after) == 3
    by_size = {(p.stage, p.target_rows): p.rows for p in points}
    for p in points:  # same scenario whatever the workers: same rows
        assert p.rows == by_size[(p.stage, p.target_rows)]


def test_outputs_are_valid_and_hold_the_points(points: list[Point], tmp_path: Path) -> None:
    """scale.json round-trips, scale.md has a row per configuration and size, and the PNG is a
    PNG whose lines go through exactly the summarised points."""
    report = build_report(
        command="fraudforge bench scale", started="2026-12-01 00:00", seconds=1.0,
        machine={"cpu_model": "test", "cpus": 2, "usable_cores": [0, 1], "memory_gib": 1,
                 "platform": "linux", "python": "3.11", "polars": "x", "numpy": "y"},
        config=CONFIG, points=points,
    )  # fmt: skip
    paths = write_outputs(report, tmp_path / "out")
    assert read_report(paths["json"]).points == points
    raw = json.loads(paths["json"].read_text())
    assert {"machine", "points", "summary", "speedups", "fits"} <= raw.keys()
    text = paths["markdown"].read_text()
    for s in report.summary:
        assert (
            f"| {s.stage} | {s.workers} | 128 | auto | {s.target_rows // 1000}K | {s.rows:,} |"
            in text
        )
    assert "exponent" in text
    assert paths["png"].read_bytes()[:8] == PNG_SIGNATURE
    drawn = plot(report, tmp_path / "again.png")
    for s in report.summary:
        assert (float(s.rows), s.seconds) in drawn[f"seconds: {s.config}"]
        assert (float(s.rows), s.peak_rss_mib) in drawn[f"peak_rss_mib: {s.config}"]
    assert len(report.fits) == len(WORKERS) * 2
    if len(WORKERS) == 2:
        assert "Speedup over one worker" in text
        assert len(report.speedups) == 4


def test_summary_speedup_and_exponent_by_hand() -> None:
    """Medians over rounds, the ratio of medians, and the log-log slope on exact inputs."""

    def point(workers: int, rows: int, seconds: float, round_: int) -> Point:
        return Point(
            stage="generate", target_rows=rows, rows=rows, workers=workers, cores=[0],
            shard_size=512, chunk_shards=None, files=1, round=round_, seconds=seconds,
            process_wall_s=seconds + 1, rows_per_s=rows / seconds, cpu_s=seconds,
            process_cpu_s=seconds + 1, peak_rss_mib=100.0, main_rss_mib=100.0,
            helper_rss_mib=0.0, load_before=[1.0, 1.0, 1.0], load_after=[3.0, 1.0, 1.0],
        )  # fmt: skip

    points = [point(1, 1000, t, i) for i, t in enumerate((1.0, 5.0, 2.0))]
    points += [point(2, 1000, t, i) for i, t in enumerate((1.0, 1.2, 0.8))]
    summary = summarize(points)
    assert [(s.workers, s.seconds, s.load_1min) for s in summary] == [(1, 2.0, 2.0), (2, 1.0, 2.0)]
    (x,) = speedups(summary)
    assert (x.workers, x.speedup, x.cpu_ratio) == (2, 2.0, 0.5)
    assert exponent([1e3, 1e4, 1e5], [1.0, 10.0, 100.0]) == pytest.approx(1.0)
    assert exponent([1e3, 1e4], [1.0, 4.0]) == pytest.approx(0.60206, abs=1e-5)


def test_generation_under_a_memory_limit_stays_under_it(tmp_path: Path) -> None:
    """Two workers asked for under a limit that cannot hold two processes: the run uses one
    (no helper process), and the child's peak RSS stays under the limit."""
    limit = 300 * MIB
    spec = {
        "stage": "generate", "rows": 20_000, "seed": 1, "shard_size": 64, "chunk_shards": 1,
        "workers": WORKERS[-1], "cores": usable_cores()[: WORKERS[-1]],
        "memory_limit": limit, "data": str(tmp_path / "d"), "out": str(tmp_path / "f"),
    }  # fmt: skip
    p = measure(spec)
    assert p.helper_rss_mib == 0.0
    assert p.peak_rss_mib * MIB < limit
    features = measure({**spec, "stage": "features", "memory_limit": 700 * MIB})
    assert features.peak_rss_mib * MIB < 700 * MIB


def test_a_failing_point_names_the_stage(tmp_path: Path) -> None:
    """A child that fails (an impossible limit) raises with the stage, size and the error."""
    spec = {
        "stage": "generate", "rows": 20_000, "seed": 1, "shard_size": 64, "chunk_shards": None,
        "workers": 1, "cores": usable_cores()[:1], "memory_limit": 150 * MIB,
        "data": str(tmp_path / "d"), "out": str(tmp_path / "f"),
    }  # fmt: skip
    with pytest.raises(RuntimeError, match=r"generate of 20,000 rows .* too small"):
        measure(spec)


def test_counts_and_config_refusals() -> None:
    """Counts take K and M and auto; impossible sweeps are refused naming what is allowed."""
    assert parse_counts("10K,1M,2500", "rows") == (10_000, 1_000_000, 2_500)
    assert parse_counts("auto,4", "chunk-shards", allow_auto=True) == (None, 4)
    with pytest.raises(ValueError, match="comma-separated list of counts"):
        parse_counts("ten", "rows")
    cores = len(usable_cores())
    with pytest.raises(ValueError, match=f"counts from 1 to {cores}"):
        ScaleConfig(workers=(cores + 1,))
    with pytest.raises(ValueError, match="some of generate, features"):
        ScaleConfig(stages=("train",))


def test_command_writes_its_three_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`fraudforge bench scale` with a tiny generation-only sweep writes JSON, Markdown, PNG."""
    out = tmp_path / "res"
    argv = ["bench", "scale", "--rows", "2K", "--workers", "1", "--stages", "generate"]
    assert main([*argv, "--out", str(out), "--scratch", str(tmp_path)]) == 0
    report = read_report(out / "scale.json")
    assert report.command == "fraudforge " + " ".join(
        [*argv, "--out", str(out), "--scratch", str(tmp_path)]
    )
    assert [(p.stage, p.target_rows, p.workers) for p in report.points] == [("generate", 2000, 1)]
    assert (out / "scale.png").read_bytes()[:8] == PNG_SIGNATURE
    assert "| generate | 1 | 512 | auto | 2K |" in capsys.readouterr().out
    assert main(["bench", "scale", "--rows", "2K", "--memory-limit", "1MB", "--out", str(out)]) == 2
    assert "allowed is a size from 128 MiB" in capsys.readouterr().err
