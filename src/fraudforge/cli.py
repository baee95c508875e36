"""The ``fraudforge`` command line: ``generate`` a dataset, compute its ``features`` (locally or
on a Ray cluster), run the end-to-end ``demo``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fraudforge.distributed.cluster import RayNotInstalledError
from fraudforge.engine.dataset import FORMATS, Manifest, generate
from fraudforge.engine.errors import OutputExistsError, ScenarioError
from fraudforge.engine.scenario import PRESETS, Scenario, load_scenario

err = Console(stderr=True)
out = Console()


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


def _progress() -> tuple[Progress, Any]:
    bar = Progress(
        TextColumn("[bold]generating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("shards"),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    task = bar.add_task("generate", total=None, rows=0)

    def update(done: int, total: int, rows: int) -> None:
        bar.update(task, completed=done, total=total, rows=rows)

    return bar, update


def _summary(m: Manifest, out_dir: Path, wall: float) -> None:
    rows = m.rows["transactions"]
    out.print(f"[bold]dataset[/bold] {out_dir}  ({m.format})")
    out.print(
        f"{rows:,} transactions, {m.rows['customers']:,} customers, "
        f"{m.rows['merchants']:,} merchants "
        f"in {wall:.2f} s = {rows / max(wall, 1e-9):,.0f} rows/s"
    )
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


BACKENDS: tuple[str, ...] = ("local", "ray")


def _quiet_ray_logs() -> None:
    """Keep Ray Data's per-run INFO lines off the terminal (warnings still show); importing
    ray.data sets its logger up, so this comes after the import."""
    import logging

    from fraudforge.distributed.cluster import import_ray

    import_ray()
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def cmd_generate(args: argparse.Namespace) -> int:
    """Generate a dataset directory (on this machine, or on a Ray cluster)."""
    scenario = _scenario_from_args(args)
    started = time.perf_counter()
    options: dict[str, Any] = {"format": args.format, "overwrite": args.overwrite}
    run: Any = generate
    if getattr(args, "backend", "local") == "ray":
        from fraudforge.distributed import generate as ray_generate

        _quiet_ray_logs()
        run = ray_generate
        options.update(shards_per_task=args.chunk_shards, address=args.address)
    else:
        options.update(threads=args.threads, chunk_shards=args.chunk_shards)
    if args.quiet:
        manifest = run(scenario, args.out, **options)
    else:
        bar, update = _progress()
        with bar:
            manifest = run(scenario, args.out, progress=update, **options)
    if not args.quiet:
        _summary(manifest, Path(args.out), time.perf_counter() - started)
    return 0


def cmd_features(args: argparse.Namespace) -> int:
    """List the feature catalogue, or compute a dataset's features."""
    from fraudforge.features.catalog import catalog_markdown, catalog_rows
    from fraudforge.features.pipeline import build_features

    if args.list:
        if args.markdown:
            print(catalog_markdown(), end="")
            return 0
        table = Table(title="feature catalogue")
        for col in ("name", "group", "dtype", "unit", "window", "definition"):
            table.add_column(col, overflow="fold")
        for row in catalog_rows():
            table.add_row(*(str(v) for v in row.values()))
        out.print(table)
        return 0
    if args.input is None or args.output is None:
        err.print("[red]error:[/red] give --list, or both --in DATA and --out FEATURES")
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
        options["threads"] = args.threads
    with err.status("features") as status:
        manifest = run(
            args.input,
            args.output,
            stage=lambda text: status.update(f"features: {text}"),
            **options,
        )
    wall = time.perf_counter() - started
    out.print(
        f"[bold]features[/bold] {args.output}: {manifest.rows:,} transactions x "
        f"{len(manifest.features)} features in {wall:.2f} s = "
        f"{manifest.rows / max(wall, 1e-9):,.0f} rows/s"
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """End-to-end demo on the default scenario: generate, summarise, compute the features."""
    root = Path(args.out)
    args.out = str(root / "data")
    args.overwrite = True
    for name in ("customers", "merchants", "days", "start_date", "fraud_rate", "anomaly_rate"):
        setattr(args, name, None)
    args.config = None
    args.preset = None
    args.format = "parquet"
    args.chunk_shards = None
    args.shard_size = None
    args.quiet = False
    out.rule("fraudforge demo: generate")
    code = cmd_generate(args)
    if code:
        return code
    out.rule("fraudforge demo: features")
    features = argparse.Namespace(
        list=False, markdown=False, input=args.out, output=str(root / "features"),
        overwrite=True, threads=args.threads,
    )  # fmt: skip
    return cmd_features(features)


def _add_backend_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default="local",
        help="where to run: this machine, or a Ray cluster (needs `pip install fraudforge[ray]`)",
    )
    p.add_argument(
        "--address",
        help="with --backend ray: the cluster (auto, HOST:PORT or ray://HOST:10001; "
        "default: a new local cluster); outputs must be on storage every node mounts",
    )


def _add_generate_flags(p: argparse.ArgumentParser, *, demo: bool = False) -> None:
    p.add_argument("--rows", type=int, help="target number of transactions (customers are derived)")
    p.add_argument("--seed", type=int, help="random seed (the dataset is a pure function of it)")
    p.add_argument(
        "--out", required=not demo, default="demo-output" if demo else None, help="output directory"
    )
    p.add_argument("--threads", type=int, help="worker threads (default: one per core)")
    if demo:
        return
    p.add_argument("--preset", choices=PRESETS, help="scenario preset (default: india)")
    p.add_argument("--config", type=Path, help="scenario file (.toml, .yaml or .yml)")
    p.add_argument("--customers", type=int, help="number of customers (instead of --rows)")
    p.add_argument("--merchants", type=int, help="number of merchants (terminals for handbook)")
    p.add_argument("--days", type=int, help="number of simulated days")
    p.add_argument("--start-date", dest="start_date", help="first simulated day, YYYY-MM-DD")
    p.add_argument(
        "--fraud-rate", dest="fraud_rate", type=float, help="share of fraud rows, 0 to 0.5"
    )
    p.add_argument(
        "--anomaly-rate", dest="anomaly_rate", type=float, help="share of anomalous rows, 0 to 0.3"
    )
    p.add_argument(
        "--shard-size",
        dest="shard_size",
        type=int,
        help="customers per shard (part of the data's definition)",
    )
    p.add_argument(
        "--format", choices=FORMATS, default="parquet", help="file format (default: parquet)"
    )
    p.add_argument(
        "--chunk-shards",
        dest="chunk_shards",
        type=int,
        help="shards per transactions file (with --backend ray: per task, one file each)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty output directory")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    _add_backend_flags(p)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fraudforge`` command."""
    parser = argparse.ArgumentParser(prog="fraudforge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="generate a labelled dataset directory")
    _add_generate_flags(gen)
    gen.set_defaults(func=cmd_generate)
    feats = sub.add_parser("features", help="list the feature catalogue or compute features")
    feats.add_argument("--list", action="store_true", help="print the feature catalogue")
    feats.add_argument("--markdown", action="store_true", help="with --list: as Markdown")
    feats.add_argument("--in", dest="input", help="dataset directory written by `generate`")
    feats.add_argument("--out", dest="output", help="output directory for the features")
    feats.add_argument(
        "--threads", type=int, help="worker threads of the local backend (default: one per core)"
    )
    feats.add_argument("--overwrite", action="store_true", help="replace a non-empty output")
    _add_backend_flags(feats)
    feats.set_defaults(func=cmd_features)
    demo = sub.add_parser("demo", help="end-to-end demo on the default scenario")
    _add_generate_flags(demo, demo=True)
    demo.set_defaults(func=cmd_demo, rows=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fraudforge`` console command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo" and args.rows is None:
        args.rows = 1_000_000
    try:
        code: int = args.func(args)
    except (
        ScenarioError,
        OutputExistsError,
        FileNotFoundError,
        ValueError,
        RayNotInstalledError,
    ) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
