"""The ``fraudforge`` command line: ``generate`` a dataset, compute ``features``, write the
analytics ``report``, run the end-to-end ``demo``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

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


def cmd_generate(args: argparse.Namespace) -> int:
    """Generate a dataset directory."""
    scenario = _scenario_from_args(args)
    started = time.perf_counter()
    options: dict[str, Any] = {
        "format": args.format,
        "overwrite": args.overwrite,
        "threads": args.threads,
        "chunk_shards": args.chunk_shards,
    }
    if args.quiet:
        manifest = generate(scenario, args.out, **options)
    else:
        bar, update = _progress()
        with bar:
            manifest = generate(scenario, args.out, progress=update, **options)
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
    with err.status("features") as status:
        manifest = build_features(
            args.input,
            args.output,
            overwrite=args.overwrite,
            threads=args.threads,
            stage=lambda text: status.update(f"features: {text}"),
        )
    wall = time.perf_counter() - started
    out.print(
        f"[bold]features[/bold] {args.output}: {manifest.rows:,} transactions x "
        f"{len(manifest.features)} features in {wall:.2f} s = "
        f"{manifest.rows / max(wall, 1e-9):,.0f} rows/s"
    )
    return 0


def _report_models(specs: Sequence[str]) -> dict[str, Any]:
    """The models named on the command line, by display name (the model registry's
    ``NAME@STAGE`` lookup replaces ``load_model`` here)."""
    from fraudforge.analytics.loader import load_model

    models: dict[str, Any] = {}
    for spec in specs:
        name = Path(spec).stem or spec
        while name in models:
            name += "'"
        models[name] = load_model(spec)
    return models


def cmd_report(args: argparse.Namespace) -> int:
    """Write the analytics report of a dataset (and its features and models) as one HTML file."""
    from fraudforge.analytics.costs import Costs
    from fraudforge.analytics.importance import matrix, predict
    from fraudforge.analytics.report import build_report, write_report
    from fraudforge.engine.dataset import scan_dataset
    from fraudforge.features.pipeline import read_features

    costs = Costs(
        review_cost_inr=args.review_cost,
        friction_cost_inr=args.friction_cost,
        recovery_rate=args.recovery_rate,
    )
    if args.model and args.features is None:
        err.print("[red]error:[/red] --model needs --features FEATURES (the features it scores)")
        return 2
    started = time.perf_counter()
    with err.status("report: reading the data"):
        transactions = scan_dataset(args.data).collect()
        features = read_features(args.features)[1].collect() if args.features else None
    models = _report_models(args.model or [])
    scores = {}
    with err.status("report: scoring"):
        for name, model in models.items():
            assert features is not None
            scores[name] = predict(model, matrix(features, model.feature_name()))
    with err.status("report: analysing"):
        html = build_report(
            transactions=transactions,
            features=features,
            scores=scores or None,
            model=next(iter(models.values()), None),
            costs=costs,
            threshold=args.threshold,
        )
    path = write_report(html, args.out)
    out.print(
        f"[bold]report[/bold] {path.resolve()} ({len(html) / 1e6:.1f} MB, "
        f"{time.perf_counter() - started:.1f} s)"
    )
    return 0


def _demo_models(data: Path, features: Path) -> tuple[Any, Any, dict[str, Any]]:
    """Train the demo's models on the first two thirds of the days and score the rest: the
    LightGBM model, the evaluation rows' features and every model's scores on them.

    (Stands in for the model registry's trained model.)
    """
    import lightgbm as lgb
    import numpy as np
    import polars as pl
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from fraudforge.engine.dataset import scan_dataset
    from fraudforge.features.catalog import FEATURE_NAMES
    from fraudforge.features.pipeline import read_features

    times = scan_dataset(data).select("transaction_id", "timestamp")
    frame = read_features(features)[1].join(times, on="transaction_id").collect()
    day = (pl.col("timestamp") - pl.col("timestamp").min()).dt.total_days()
    frame = frame.with_columns(train=day < (day.max() + 1) * 2 / 3)
    train, test = frame.filter(pl.col("train")), frame.filter(~pl.col("train"))
    # every fraud row and a quarter of the genuine ones, weighted 4 to keep probabilities
    # calibrated: a quarter of the training time for nearly the same model
    y_all = train["is_fraud"].to_numpy()
    keep = y_all | (np.random.default_rng(0).random(y_all.shape[0]) < 0.25)
    x_train = train.filter(pl.Series(keep)).select(FEATURE_NAMES).cast(pl.Float64).to_numpy()
    y_train = y_all[keep]
    weight = np.where(y_train, 1.0, 4.0)
    x_test = test.select(FEATURE_NAMES).cast(pl.Float64).to_numpy()
    booster = (
        lgb.LGBMClassifier(
            n_estimators=150, learning_rate=0.08, num_leaves=31, n_jobs=2, verbose=-1
        )
        .fit(x_train, y_train, sample_weight=weight, feature_name=list(FEATURE_NAMES))
        .booster_
    )
    logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=200)).fit(
        np.nan_to_num(x_train), y_train, logisticregression__sample_weight=weight
    )
    scores = {
        "lightgbm": booster.predict(x_test),
        "logistic": logistic.predict_proba(np.nan_to_num(x_test))[:, 1],
    }
    return booster, test.drop("timestamp", "train"), scores


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
    code = cmd_features(features)
    if code:
        return code
    out.rule("fraudforge demo: report")
    return _demo_report(root, Path(args.out))


def _demo_report(root: Path, data: Path) -> int:
    """Train the demo models, save the LightGBM one, and write demo-output/report.html."""
    from fraudforge.analytics.report import build_report, write_report
    from fraudforge.engine.dataset import scan_dataset

    started = time.perf_counter()
    with err.status("report: training the demo models"):
        booster, test, scores = _demo_models(data, root / "features")
        (root / "models").mkdir(exist_ok=True)
        booster.save_model(str(root / "models" / "lightgbm.txt"))
    with err.status("report: analysing"):
        html = build_report(
            transactions=scan_dataset(data).collect(), features=test, scores=scores, model=booster
        )
    path = write_report(html, root / "report.html")
    out.print(
        f"[bold]report[/bold] {path.resolve()} ({test.height:,} evaluation rows, "
        f"{time.perf_counter() - started:.1f} s)"
    )
    return 0


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
        "--chunk-shards", dest="chunk_shards", type=int, help="shards per transactions file"
    )
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty output directory")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


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
    feats.add_argument("--threads", type=int, help="worker threads (default: one per core)")
    feats.add_argument("--overwrite", action="store_true", help="replace a non-empty output")
    feats.set_defaults(func=cmd_features)
    rep = sub.add_parser("report", help="write the analytics report as one HTML file")
    rep.add_argument("--data", required=True, help="dataset directory written by `generate`")
    rep.add_argument("--features", help="features directory of that dataset (for --model)")
    rep.add_argument(
        "--model",
        action="append",
        help="LightGBM text model file to explain and evaluate (repeat to compare models)",
    )
    rep.add_argument("--out", required=True, help="report file to write, e.g. report.html")
    rep.add_argument(
        "--threshold", type=float, help="alert threshold, 0 to 1 (default: the cost-optimal one)"
    )
    rep.add_argument(
        "--review-cost", dest="review_cost", type=float, default=150.0,
        help="cost of reviewing one alert, INR (default 150)",
    )  # fmt: skip
    rep.add_argument(
        "--friction-cost", dest="friction_cost", type=float, default=50.0,
        help="cost of a false alert to a genuine customer, INR (default 50)",
    )  # fmt: skip
    rep.add_argument(
        "--recovery-rate", dest="recovery_rate", type=float, default=1.0,
        help="share of a caught fraud's amount that is recovered, 0 to 1 (default 1)",
    )  # fmt: skip
    rep.set_defaults(func=cmd_report)
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
    except (ScenarioError, OutputExistsError, FileNotFoundError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        return 2
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
