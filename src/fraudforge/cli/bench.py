"""``fraudforge bench scale``: generation and features at growing sizes, 1 and 2 workers."""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import time
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fraudforge.cli._common import _add_performance_flags, err, out, performance_from_args


def _add_bench_commands(sub: Any) -> None:
    """The ``bench`` command group and its ``scale`` command."""
    bench = sub.add_parser("bench", help="measure scale runs (time and memory against rows)")
    group = bench.add_subparsers(dest="bench_command", required=True)
    scale = group.add_parser(
        "scale",
        help="generation and features at 10K..10M rows, 1 and 2 workers, each point in a "
        "fresh process; writes scale.json, scale.md and scale.png",
    )
    scale.add_argument(
        "--rows", help="comma-separated sizes, e.g. 10K,1M (default: 10K,100K,1M,10M)"
    )
    scale.add_argument("--large", action="store_true", help="add 100M rows (streaming)")
    scale.add_argument(
        "--quick", action="store_true", help="a quick sweep: 10K and 100K rows, one round"
    )
    scale.add_argument(
        "--workers",
        help="comma-separated worker counts (default: 1 and the `threads` setting, or 2)",
    )
    scale.add_argument(
        "--shard-sizes", dest="shard_sizes",
        help="comma-separated customers per shard (default: the `shard_size` setting, or 512)",
    )  # fmt: skip
    scale.add_argument(
        "--chunk-shards", dest="chunk_list",
        help="comma-separated shards per file, or auto (default: the `chunk_shards` setting, "
        "or auto)",
    )  # fmt: skip
    scale.add_argument(
        "--stages", default="generate,features",
        help="comma-separated: generate, features (default: both)",
    )  # fmt: skip
    scale.add_argument("--repeat", type=int, default=1, help="rounds per point (default: 1)")
    scale.add_argument("--seed", type=int, default=7, help="scenario seed (default: 7)")
    scale.add_argument(
        "--out", default="scale-results", help="output directory (default: scale-results)"
    )
    scale.add_argument("--scratch", help="directory for the datasets (default: the system's temp)")
    scale.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    _add_performance_flags(scale)
    scale.set_defaults(func=cmd_bench_scale, shard_size=None, chunk_shards=None)


def _config(args: argparse.Namespace) -> Any:
    """The sweep: flags, else the performance settings, else the defaults."""
    from fraudforge.bench.scale import (
        DEFAULT_ROWS,
        LARGE_ROWS,
        QUICK_ROWS,
        ScaleConfig,
        parse_counts,
    )

    perf = performance_from_args(args)
    default = QUICK_ROWS if args.quick else DEFAULT_ROWS
    rows = parse_counts(args.rows, "rows") if args.rows else default
    if args.large:
        rows = (*rows, LARGE_ROWS)
    workers = (
        parse_counts(args.workers, "workers")
        if args.workers
        else tuple(dict.fromkeys((1, perf.threads or 2)))
    )
    shards = (
        parse_counts(args.shard_sizes, "shard-sizes")
        if args.shard_sizes
        else (perf.shard_size or 512,)
    )
    chunks = (
        parse_counts(args.chunk_list, "chunk-shards", allow_auto=True)
        if args.chunk_list
        else (perf.chunk_shards,)
    )
    return ScaleConfig(
        rows=tuple(dict.fromkeys(rows)),
        workers=workers,
        shard_sizes=shards,
        chunk_shards=chunks,
        stages=tuple(s.strip() for s in args.stages.split(",")),
        repeat=1 if args.quick else args.repeat,
        seed=args.seed,
        memory_limit=perf.memory_limit,
    )


def cmd_bench_scale(args: argparse.Namespace) -> int:
    """Run the sweep with a progress bar, then write and print the report."""
    from fraudforge.bench.scale import machine, sweep, total_points
    from fraudforge.bench.scale_report import (
        build_report,
        require_matplotlib,
        to_markdown,
        write_outputs,
    )

    require_matplotlib()  # refused before the sweep runs
    config = _config(args)
    started_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    started = time.perf_counter()
    bar = Progress(
        TextColumn("[bold]bench scale"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("points"),
        TextColumn("{task.fields[what]}"),
        TimeElapsedColumn(),
        console=err,
    )
    task = bar.add_task("scale", total=total_points(config), what="")

    def update(done: int, total: int, what: str) -> None:
        bar.update(task, completed=done, total=total, what=what)

    with bar:
        points = sweep(config, scratch=args.scratch, progress=update)
    report = build_report(
        command=shlex.join(["fraudforge", *args.argv]),
        started=started_at,
        seconds=time.perf_counter() - started,
        machine=machine(),
        config=config,
        points=points,
    )
    paths = write_outputs(report, args.out)
    out.print(to_markdown(report), markup=False, highlight=False, soft_wrap=True)
    out.print(f"wrote {paths['json']}, {paths['markdown']} and {paths['png']}")
    return 0
