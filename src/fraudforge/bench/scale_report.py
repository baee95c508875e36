"""What a scale run reports: medians per configuration and size, the speedup of more workers
over one, the fitted exponent of time against rows (1 means linear), and the JSON, Markdown and
PNG files that hold them. Every file is written atomically."""

from __future__ import annotations

import io
import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from fraudforge.bench.scale import STAGES, Point, ScaleConfig
from fraudforge.foundation.atomic import write_atomic
from fraudforge.foundation.extras import require


class Summary(msgspec.Struct, kw_only=True):
    """The median over rounds of one configuration at one size."""

    stage: str
    config: str
    workers: int
    shard_size: int
    chunk_shards: int | None
    target_rows: int
    rows: int
    rounds: int
    seconds: float
    rows_per_s: float
    cpu_s: float
    peak_rss_mib: float
    load_1min: float
    """Median of the 1-minute load average before and after the rounds."""


class Speedup(msgspec.Struct, kw_only=True):
    """Median time with one worker over median time with ``workers`` (same stage, size, shard
    size and shards per file, measured back to back); ``cpu_ratio`` is the CPU time's ratio."""

    stage: str
    target_rows: int
    shard_size: int
    chunk_shards: int | None
    workers: int
    speedup: float
    cpu_ratio: float


class Fit(msgspec.Struct, kw_only=True):
    """Least-squares slope of log(time) on log(rows) for one configuration: 1 is linear.
    ``exponent_top`` is the slope between the two largest sizes (start-up costs matter least);
    ``cpu_exponent`` is the slope of the CPU time, which a shared machine disturbs less."""

    stage: str
    config: str
    sizes: list[int]
    exponent: float
    exponent_top: float | None
    cpu_exponent: float


class ScaleReport(msgspec.Struct, kw_only=True):
    """Everything a scale run writes to JSON."""

    command: str
    started: str
    seconds: float
    machine: dict[str, Any]
    config: ScaleConfig
    points: list[Point]
    summary: list[Summary]
    speedups: list[Speedup]
    fits: list[Fit]


def config_label(stage: str, workers: int, shard_size: int, chunk: int | None) -> str:
    """A configuration's name in tables and legends."""
    return f"{stage}, {workers}w, shard {shard_size}, chunk {chunk or 'auto'}"


def summarize(points: Sequence[Point]) -> list[Summary]:
    """Medians over rounds, by stage, configuration and size."""
    groups: dict[tuple[Any, ...], list[Point]] = defaultdict(list)
    for p in points:
        groups[(p.stage, p.workers, p.shard_size, p.chunk_shards or 0, p.target_rows)].append(p)
    out = []
    order = sorted(groups.items(), key=lambda kv: (STAGES.index(kv[0][0]), *kv[0][1:]))
    for (stage, workers, shard, chunk, target), ps in order:
        loads = [x for p in ps for x in (p.load_before[0], p.load_after[0])]
        out.append(
            Summary(
                stage=stage,
                config=config_label(stage, workers, shard, chunk or None),
                workers=workers,
                shard_size=shard,
                chunk_shards=chunk or None,
                target_rows=target,
                rows=ps[0].rows,
                rounds=len(ps),
                seconds=statistics.median(p.seconds for p in ps),
                rows_per_s=statistics.median(p.rows_per_s for p in ps),
                cpu_s=statistics.median(p.cpu_s for p in ps),
                peak_rss_mib=statistics.median(p.peak_rss_mib for p in ps),
                load_1min=round(statistics.median(loads), 2),
            )
        )
    return out


def speedups(summary: Sequence[Summary]) -> list[Speedup]:
    """Each worker count against one worker, wherever both were measured."""
    one = {
        (s.stage, s.target_rows, s.shard_size, s.chunk_shards): s for s in summary if s.workers == 1
    }
    out = []
    for s in summary:
        base = one.get((s.stage, s.target_rows, s.shard_size, s.chunk_shards))
        if s.workers > 1 and base is not None:
            out.append(
                Speedup(
                    stage=s.stage,
                    target_rows=s.target_rows,
                    shard_size=s.shard_size,
                    chunk_shards=s.chunk_shards,
                    workers=s.workers,
                    speedup=round(base.seconds / max(s.seconds, 1e-9), 3),
                    cpu_ratio=round(s.cpu_s / max(base.cpu_s, 1e-9), 3),
                )
            )
    return out


def exponent(rows: Sequence[float], seconds: Sequence[float]) -> float:
    """Slope of the least-squares line through (log rows, log seconds)."""
    x, y = np.log(np.asarray(rows, dtype=float)), np.log(np.asarray(seconds, dtype=float))
    slope = np.polyfit(x, y, 1)[0]
    return float(slope)


def fits(summary: Sequence[Summary]) -> list[Fit]:
    """The exponent of each configuration measured at two sizes or more."""
    groups: dict[str, list[Summary]] = defaultdict(list)
    for s in summary:
        groups[s.config].append(s)
    out = []
    for config, ss in groups.items():
        ss = sorted(ss, key=lambda s: s.rows)
        if len(ss) < 2:
            continue
        rows, secs = [s.rows for s in ss], [max(s.seconds, 1e-6) for s in ss]
        top = exponent(rows[-2:], secs[-2:]) if len(ss) > 2 else None
        out.append(
            Fit(
                stage=ss[0].stage,
                config=config,
                sizes=[s.target_rows for s in ss],
                exponent=round(exponent(rows, secs), 3),
                exponent_top=None if top is None else round(top, 3),
                cpu_exponent=round(exponent(rows, [max(s.cpu_s, 1e-6) for s in ss]), 3),
            )
        )
    return out


def build_report(
    *,
    command: str,
    started: str,
    seconds: float,
    machine: dict[str, Any],
    config: ScaleConfig,
    points: list[Point],
) -> ScaleReport:
    """Fold a run's raw points into its report."""
    summary = summarize(points)
    return ScaleReport(
        command=command,
        started=started,
        seconds=round(seconds, 1),
        machine=machine,
        config=config,
        points=points,
        summary=summary,
        speedups=speedups(summary),
        fits=fits(summary),
    )


def _rows(n: int) -> str:
    for unit, size in (("M", 1_000_000), ("K", 1_000)):
        if n >= size and n % (size // 10) == 0:
            text = f"{n / size:.1f}".rstrip("0").rstrip(".")
            return f"{text}{unit}"
    return f"{n:,}"


def to_markdown(report: ScaleReport) -> str:
    """The report as Markdown: the machine, a table of medians, speedups and exponents."""
    m = report.machine
    lines = [
        "# Scale run",
        "",
        f"`{report.command}` (started {report.started} UTC, {report.seconds:.0f} s in all)",
        "",
        f"- Machine: {m['cpu_model']}, {m['cpus']} CPUs (usable cores "
        f"{', '.join(map(str, m['usable_cores']))}), {m['memory_gib']} GiB; {m['platform']}",
        f"- Python {m['python']}, Polars {m['polars']}, NumPy {m['numpy']}",
        f"- Each point is a fresh process pinned to `workers` cores, with `workers` generation "
        f"threads and Polars threads; medians of {report.config.repeat} round(s).",
        "",
        "| stage | workers | shard | chunk | target rows | rows | time | rows/s | CPU time | "
        "peak RSS | load (1 min) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {s.stage} | {s.workers} | {s.shard_size} | {s.chunk_shards or 'auto'} | "
        f"{_rows(s.target_rows)} | {s.rows:,} | {s.seconds:.3f} s | {s.rows_per_s:,.0f} | "
        f"{s.cpu_s:.2f} s | {s.peak_rss_mib:,.0f} MiB | {s.load_1min:.2f} |"
        for s in report.summary
    ]
    if report.speedups:
        lines += [
            "",
            "Speedup over one worker (median time of 1 worker / median time of N; CPU ratio is "
            "N workers' CPU time over 1 worker's):",
            "",
            "| stage | target rows | shard | chunk | workers | speedup | CPU ratio |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {x.stage} | {_rows(x.target_rows)} | {x.shard_size} | {x.chunk_shards or 'auto'} "
            f"| {x.workers} | {x.speedup:.2f}x | {x.cpu_ratio:.2f} |"
            for x in report.speedups
        ]
    if report.fits:
        lines += [
            "",
            "Linearity: fitted exponent of time against rows (log-log slope; 1 is linear):",
            "",
            "| configuration | sizes | exponent (all sizes) | exponent (two largest) | "
            "CPU-time exponent |",
            "|---|---|---:|---:|---:|",
        ]
        lines += [
            f"| {f.config} | {', '.join(_rows(n) for n in f.sizes)} | {f.exponent:.3f} | "
            f"{'–' if f.exponent_top is None else f'{f.exponent_top:.3f}'} | "
            f"{f.cpu_exponent:.3f} |"
            for f in report.fits
        ]
    return "\n".join(lines) + "\n"


def require_matplotlib() -> None:
    """Refuse the plot without matplotlib (the ``bench`` extra), naming the install line."""
    require("matplotlib", "bench", "the scale run's plot")


def plot(report: ScaleReport, path: str | Path) -> dict[str, list[tuple[float, float]]]:
    """Write a PNG of time and peak RSS against rows (log-log, one line per configuration);
    returns the plotted series by panel and configuration, read back from the figure."""
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig = Figure(figsize=(12, 5), dpi=110, layout="constrained")
    panels = (("seconds", "time (s)"), ("peak_rss_mib", "peak RSS (MiB)"))
    axes = fig.subplots(1, 2)
    groups: dict[str, list[Summary]] = defaultdict(list)
    for s in report.summary:
        groups[s.config].append(s)
    drawn: dict[str, list[tuple[float, float]]] = {}
    for ax, (field, title) in zip(axes, panels, strict=True):
        for config, ss in sorted(groups.items()):
            ss = sorted(ss, key=lambda s: s.rows)
            (line,) = ax.plot(
                [s.rows for s in ss],
                [getattr(s, field) for s in ss],
                marker="o",
                linestyle="--" if ss[0].stage == "features" else "-",
                label=config,
            )
            drawn[f"{field}: {config}"] = [(float(x), float(y)) for x, y in line.get_xydata()]
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _rows(int(v)) if v >= 1 else ""))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("rows")
        ax.set_ylabel(title)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"fraudforge scale run, {report.started} UTC ({report.machine['cpu_model']})")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    write_atomic(path, buffer.getvalue())
    return drawn


def write_outputs(report: ScaleReport, out: str | Path) -> dict[str, Path]:
    """Write ``scale.json``, ``scale.md`` and ``scale.png`` into directory ``out``."""
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    paths = {"json": root / "scale.json", "markdown": root / "scale.md", "png": root / "scale.png"}
    write_atomic(paths["json"], msgspec.json.format(msgspec.json.encode(report)))
    write_atomic(paths["markdown"], to_markdown(report))
    plot(report, paths["png"])
    return paths


def read_report(path: str | Path) -> ScaleReport:
    """Load a ``scale.json``."""
    return msgspec.json.decode(Path(path).read_bytes(), type=ScaleReport)


__all__ = [
    "Fit",
    "ScaleReport",
    "Speedup",
    "Summary",
    "build_report",
    "exponent",
    "fits",
    "plot",
    "read_report",
    "speedups",
    "summarize",
    "to_markdown",
    "write_outputs",
]
