"""``fraudforge generate`` and ``fraudforge features``: datasets and their features."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from fraudforge.cli._common import err, out, performance_from_args
from fraudforge.cli.progress import Meter, announce_compilation
from fraudforge.engine.dataset import Manifest, generate
from fraudforge.engine.scenario import Scenario, load_scenario
from fraudforge.foundation.machine import keep_freed_memory, resume_collector


def _scenario_from_args(args: argparse.Namespace) -> Scenario:
    """A config file's scenario (or the preset's defaults) with command-line overrides."""
    base = load_scenario(args.config) if args.config else Scenario(preset=args.preset or "india")
    changes: dict[str, Any] = {}
    if args.preset and args.config:
        changes["preset"] = args.preset
    for flag, field in (
        ("rows", "target_rows"),
        ("customers", "customers"),
        ("merchants", "merchants"),
        ("seed", "seed"),
        ("days", "days"),
        ("start_date", "start_date"),
        ("fraud_rate", "fraud_rate"),
        ("anomaly_rate", "anomaly_rate"),
        ("shard_size", "shard_size"),
    ):
        value = getattr(args, flag)
        if value is not None:
            changes[field] = value
    if "target_rows" in changes:
        changes.setdefault("customers", None)
    if not changes:
        return base
    data = base.to_dict()
    data.update(changes)
    return Scenario.from_mapping({k: v for k, v in data.items() if v is not None})


def _shard_meter(meter: Meter) -> Any:
    """The engine's progress callback (shards done, shards, rows written) shown by ``meter``."""

    def update(done: int, total: int, rows: int) -> None:
        meter("writing", done, total, f"{rows:,} rows")

    return update


def _summary(m: Manifest, out_dir: Path, wall: float) -> None:
    rows = m.rows["transactions"]
    out.print(f"[bold]dataset[/bold] {out_dir}  ({m.format})")
    out.print(
        f"{rows:,} transactions, {m.rows['customers']:,} customers, "
        f"{m.rows['merchants']:,} merchants "
        f"in {wall:.2f} s = {rows / max(wall, 1e-9):,.0f} rows/s"
    )
    from rich.table import Table  # here: a quiet run does not wait for it

    fraud_total = sum(v for k, v in m.fraud_counts.items() if k != "none")
    anomaly_total = sum(v for k, v in m.anomaly_counts.items() if k != "none")
    for title, counts, total in (
        ("fraud type", m.fraud_counts, fraud_total),
        ("anomaly type", m.anomaly_counts, anomaly_total),
    ):
        table = Table(title=f"by {title}: {total:,} rows ({total / max(rows, 1):.2%})")
        table.add_column(title)
        table.add_column("rows", justify="right")
        table.add_column("share", justify="right")
        for name, count in sorted(counts.items(), key=lambda kv: -kv[1]):
            if name != "none":
                table.add_row(name, f"{count:,}", f"{count / max(total, 1):.1%}")
        out.print(table)
    out.print(f"content hash {m.content_hash}")


def _quiet_ray_logs() -> None:
    """Keep Ray Data's per-run INFO lines off the terminal (warnings still show); importing
    ray.data sets its logger up, so this comes after the import."""
    import logging

    from fraudforge.distributed.cluster import import_ray

    import_ray()
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def cmd_generate(args: argparse.Namespace) -> int:
    """Generate a dataset directory (on this machine, or on a Ray cluster)."""
    perf = performance_from_args(args)
    scenario = _scenario_from_args(args)
    if perf.shard_size is not None:
        scenario = scenario.replace(shard_size=perf.shard_size)
    started = time.perf_counter()
    options: dict[str, Any] = {"format": args.format, "overwrite": args.overwrite}
    run: Any = generate
    if getattr(args, "backend", "local") == "ray":
        from fraudforge.distributed import generate as ray_generate

        _quiet_ray_logs()
        run = ray_generate
        options.update(shards_per_task=perf.chunk_shards, address=args.address)
    else:
        options.update(
            threads=perf.threads, chunk_shards=perf.chunk_shards, memory_limit=perf.memory_limit
        )
        _freeze_loaded_modules()
        keep_freed_memory()  # this process generates shards from here on
    with Meter("generate", units={"writing": "shards"}, quiet=args.quiet) as meter:
        manifest = run(scenario, args.out, progress=_shard_meter(meter), **options)
    if not args.quiet:
        _summary(manifest, Path(args.out), time.perf_counter() - started)
    return 0


def cmd_features(args: argparse.Namespace) -> int:
    """List the feature catalogue, or compute a dataset's features."""
    from fraudforge.features.catalog import catalog_markdown, catalog_rows
    from fraudforge.features.pipeline import ENTITY_STEP, SPLIT_STEP, build_features

    if args.list:
        if args.markdown:
            print(catalog_markdown(), end="")
            return 0
        if args.json:
            import json

            print(json.dumps(catalog_rows(), indent=2))
            return 0
        from rich.table import Table

        table = Table(title="feature catalogue")
        for col in ("name", "group", "dtype", "unit", "window", "definition"):
            table.add_column(col, overflow="fold")
        for row in catalog_rows():
            table.add_row(*(str(v) for v in row.values()))
        out.print(table)
        return 0
    if args.data is not None and args.input is not None and args.data != args.input:
        err.print(
            f"[red]error:[/red] two datasets given ({args.data} and --in {args.input}): "
            "give one, as DATA or as --in DATA"
        )
        return 2
    args.input = args.input if args.input is not None else args.data
    if args.input is None or args.output is None:
        err.print(
            "[red]error:[/red] give --list, or a dataset (DATA or --in DATA) and --out FEATURES"
        )
        return 2
    started = time.perf_counter()
    options: dict[str, Any] = {"overwrite": args.overwrite}
    run: Any = build_features
    if getattr(args, "backend", "local") == "ray":
        from fraudforge.distributed import build_features as ray_build_features

        _quiet_ray_logs()
        run = ray_build_features
        options["address"] = args.address
    else:
        perf = performance_from_args(args)
        options.update(threads=perf.threads, memory_limit=perf.memory_limit)
        _freeze_loaded_modules("fraudforge.features.batch")
        if args.batch_rows is not None:
            options["batch_rows"] = args.batch_rows
    resume_collector()  # paused by the command line while the libraries loaded
    units = {ENTITY_STEP: "buckets", SPLIT_STEP: "files"}
    with Meter("features", units=units, quiet=args.quiet) as meter:
        if not args.quiet:
            announce_compilation(meter)
        manifest = run(args.input, args.output, progress=meter, **options)
    wall = time.perf_counter() - started
    out.print(
        f"[bold]features[/bold] {args.output}: {manifest.rows:,} transactions x "
        f"{len(manifest.features)} features in {wall:.2f} s = "
        f"{manifest.rows / max(wall, 1e-9):,.0f} rows/s"
    )
    return 0


def _freeze_loaded_modules(*preload: str) -> None:
    """Import the modules ``preload`` names (the feature kernels' with Numba's, for
    ``features``) now and move everything loaded so far out of the garbage collector's sight
    (``gc.freeze``): the command keeps them to its end, and each full collection would
    otherwise walk them again (about 60 ms of a 1M-row features run; in ``generate``'s process
    its one full collection took 33-70 ms, none once frozen)."""
    import gc
    import importlib

    for name in preload:
        importlib.import_module(name)
    gc.freeze()


def cmd_warmup(args: argparse.Namespace) -> int:
    """Compile the feature kernels ahead, so the first ``features`` run or service start does
    not spend its first 20 s compiling."""
    from fraudforge.features.warmup import compile_kernels

    started = time.perf_counter()
    with Meter("warmup", units={"compiling kernels": "kernels"}, quiet=args.quiet) as meter:
        cold = compile_kernels(meter)
    out.print(
        f"warmup: {len(cold)} feature kernels compiled and cached in "
        f"{time.perf_counter() - started:.1f} s"
        if cold
        else "warmup: the feature kernels were already compiled"
    )
    return 0
