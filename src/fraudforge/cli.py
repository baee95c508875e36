"""The ``fraudforge`` command line: ``generate`` a dataset and compute its ``features`` (locally or
on a Ray cluster), ``train``, ``tune`` and ``compare`` models in a ``registry``, write the
analytics ``report``, run the end-to-end ``demo``."""

from __future__ import annotations

import argparse
import dataclasses
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

DEMO_MODEL = "fraud-lightgbm"
"""The model name ``make demo`` registers."""
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


def _report_models(specs: Sequence[str], registry: str | None) -> list[Any]:
    """The models named on the command line (files or registry references), unique names."""
    from fraudforge.analytics.loader import load_model

    models: list[Any] = []
    for spec in specs:
        model = load_model(spec, registry=registry)
        while model.name in {m.name for m in models}:
            model = dataclasses.replace(model, name=model.name + "'")
        models.append(model)
    return models


def cmd_report(args: argparse.Namespace) -> int:
    """Write the analytics report of a dataset (and its features and models) as one HTML file."""
    import polars as pl

    from fraudforge.analytics.report import build_report, write_report
    from fraudforge.engine.dataset import scan_dataset
    from fraudforge.features.pipeline import read_features

    costs = _costs_from_args(args)
    if args.model and args.features is None:
        err.print("[red]error:[/red] --model needs --features FEATURES (the features it scores)")
        return 2
    if args.test_days is not None and args.test_days < 1:
        raise ValueError(f"--test-days {args.test_days}: allowed is 1 or more")
    started = time.perf_counter()
    with err.status("report: reading the data"):
        transactions = scan_dataset(args.data).collect()
        features = None
        if args.features:
            features = read_features(args.features)[1].collect()
            if args.test_days is not None:
                # Evaluate on the last days only (a model's own test period, not its training).
                times = transactions.select("transaction_id", "timestamp")
                day = (pl.col("timestamp") - pl.col("timestamp").min()).dt.total_days()
                last = times.select(day.max()).item()
                keep = times.filter(day > last - args.test_days).select("transaction_id")
                features = features.join(keep, on="transaction_id", how="semi")
    models = _report_models(args.model or [], args.registry)
    with err.status("report: scoring"):
        assert features is not None or not models
        scores = {m.name: m.score(features) for m in models}
    explained = next((m for m in models if m.booster is not None), None)
    with err.status("report: analysing"):
        html = build_report(
            transactions=transactions,
            features=features,
            scores=scores or None,
            model=explained.booster if explained else None,
            feature_names=explained.features if explained else None,
            costs=costs,
            threshold=args.threshold,
        )
    path = write_report(html, args.out)
    out.print(
        f"[bold]report[/bold] {path.resolve()} ({len(html) / 1e6:.1f} MB, "
        f"{time.perf_counter() - started:.1f} s)"
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """End-to-end demo on the default scenario: generate, summarise, compute the features, train
    LightGBM on them and register it, then serve it and score some transactions through the
    client."""
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
    out.rule("fraudforge demo: model")
    code = _demo_model(root)
    if code:
        return code
    out.rule("fraudforge demo: report")
    code = _demo_report(root)
    if code:
        return code
    out.rule("fraudforge demo: service")
    return _demo_service(root)


def _demo_model(root: Path) -> int:
    """``fraudforge train`` on the demo's data: LightGBM on a time-based split, threshold chosen
    on validation, evaluated on the test week, registered in ``root/registry`` (rebuilt each run,
    like the data) and promoted to staging."""
    import shutil

    from fraudforge.models.registry import INDEX_FILE

    registry_dir = root / "registry"
    if (registry_dir / INDEX_FILE).is_file():
        shutil.rmtree(registry_dir)
    train = build_parser().parse_args(
        ["train", "--data", str(root / "data"), "--features", str(root / "features"),
         "--registry", str(registry_dir), "--name", DEMO_MODEL, "--stage", "staging",
         "--tag", "demo"]
    )  # fmt: skip
    code = cmd_train(train)
    if code == 0:
        out.print(f"next: fraudforge registry list --registry {registry_dir}")
    return code


def _demo_service(root: Path) -> int:
    """Register the fraud-type model beside the demo's model, then start ``fraudforge serve``
    on a free loopback port, score some of the demo's transactions through the client, stop."""
    from fraudforge.service.demo import demo_service, register_fraud_type

    with err.status("fitting the fraud-type model"):
        version = register_fraud_type(
            root / "registry", "fraud-lightgbm", root / "data", root / "features", stage="staging"
        )
    out.print(f"registered fraud-lightgbm-type v{version} (staging): most likely fraud type")
    return demo_service(root, name="fraud-lightgbm", stage="staging", console=out)


def _registry(path: str, *, create: bool = False) -> Any:
    """The registry at ``path`` (refused when missing unless ``create``)."""
    from fraudforge.models.registry import Registry

    return Registry(path, create=create)


def _short(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def cmd_registry_list(args: argparse.Namespace) -> int:
    """List registered model versions as a table."""
    versions = _registry(args.registry).list(args.name, stage=args.stage, tag=args.tag)
    table = Table(title=f"model registry {args.registry}: {len(versions)} version(s)")
    for col in ("name", "version", "stage", "kind", "created (UTC)", "features"):
        table.add_column(col, justify="right" if col in ("version", "features") else "left")
    for col in ("ROC AUC", "AP", "CP@k", "recall@budget", "tags"):
        table.add_column(col, justify="left" if col == "tags" else "right")
    for v in versions:
        table.add_row(
            v.name,
            str(v.version),
            v.stage,
            v.kind,
            v.created_at[:19].replace("T", " "),
            str(len(v.features)),
            _short(v.metric("roc_auc")),
            _short(v.metric("average_precision")),
            _short(v.metric("card_precision_at_k")),
            _short(v.metric("recall_at_budget")),
            ", ".join(v.tags),
        )
    out.print(table)
    return 0


def cmd_registry_show(args: argparse.Namespace) -> int:
    """Show one model version's metadata, metrics, files and stage history."""
    import msgspec

    from fraudforge.features.pipeline import catalog_hash

    reg = _registry(args.registry)
    v = reg.show(args.name, args.version, stage=args.stage)
    if args.json:
        print(msgspec.json.format(msgspec.json.encode(v), indent=2).decode())
        return 0
    same = "matches the current catalogue" if v.catalog_hash == catalog_hash() else "DIFFERS"
    info = Table(title=f"{v.name} v{v.version}", show_header=False)
    info.add_column("field", style="bold")
    info.add_column("value", overflow="fold")
    for field, value in (
        ("stage", v.stage),
        ("kind", v.kind),
        ("created (UTC)", v.created_at),
        ("threshold", f"{v.threshold:.6g}"),
        ("artefact", str(reg.root / v.path)),
        ("features", f"{len(v.features)}: {', '.join(v.features)}"),
        ("catalogue hash", f"{v.catalog_hash} ({same})"),
        ("training data hash", v.data_hash or "not recorded"),
        ("scenario", msgspec.json.encode(v.scenario).decode() if v.scenario else "not recorded"),
        ("params", msgspec.json.encode(v.params).decode()),
        ("libraries", ", ".join(f"{k} {val}" for k, val in v.libraries.items())),
        ("tags", ", ".join(v.tags) or "none"),
        ("description", v.description or ""),
    ):
        info.add_row(field, value)
    out.print(info)
    scalars = {k: m for k, m in v.metrics.items() if isinstance(m, int | float)}
    if scalars:
        metrics = Table(title="metrics (as registered)")
        metrics.add_column("metric")
        metrics.add_column("value", justify="right")
        for k, m in scalars.items():
            metrics.add_row(k, f"{m:,.4f}" if isinstance(m, float) else f"{m:,}")
        out.print(metrics)
    files = Table(title="files")
    files.add_column("file")
    files.add_column("sha256")
    for name, digest in v.files.items():
        files.add_row(name, digest)
    out.print(files)
    history = Table(title="stage history")
    history.add_column("stage")
    history.add_column("since (UTC)")
    for stage, at in reg.history(v.name, v.version):
        history.add_row(stage, at)
    out.print(history)
    return 0


def cmd_registry_promote(args: argparse.Namespace) -> int:
    """Move a version to a stage (production archives the previous production version)."""
    reg = _registry(args.registry)
    before = {v.version for v in reg.list(args.name, stage="production")}
    v = reg.promote(args.name, args.version, args.stage)
    archived = sorted(before - {v.version}) if args.stage == "production" else []
    note = f" (archived v{', v'.join(map(str, archived))})" if archived else ""
    out.print(f"{v.name} v{v.version} is now in stage [bold]{v.stage}[/bold]{note}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare registered models side by side, on their recorded metrics or on a dataset."""
    from fraudforge.engine.atomic import write_atomic
    from fraudforge.models.compare import check_priority, compare

    check_priority(args.priority)
    if (args.data is None) != (args.features is None):
        err.print("[red]error:[/red] give both --data DATA and --features FEATURES, or neither")
        return 2
    reg = _registry(args.registry)
    from fraudforge.models.registry import parse_model_ref

    refs = [parse_model_ref(m) for m in args.models] or [(n, None, None) for n in reg.names()]
    if not refs:
        err.print(f"[red]error:[/red] the registry {args.registry} holds no models to compare")
        return 2
    chosen = [reg.show(name, version, stage=stage) for name, version, stage in refs]
    evaluations: dict[str, Any] = {}
    if args.data is None:
        for v in chosen:
            if not v.metrics:
                raise ValueError(
                    f"{v.name} v{v.version} has no recorded evaluation: pass --data DATA and "
                    "--features FEATURES to evaluate it"
                )
            evaluations[f"{v.name} v{v.version}"] = v.metrics
    else:
        import numpy as np

        from fraudforge.models.data import load_model_data
        from fraudforge.models.metrics import evaluate

        data = load_model_data(args.data, args.features)
        if args.test_days is not None:
            if args.test_days < 1:
                raise ValueError(f"--test-days {args.test_days}: allowed is 1 or more")
            day = data.day
            data = data.subset(np.flatnonzero(day > int(day.max()) - args.test_days))
        for v in chosen:
            model = reg.load(v.name, v.version, check_catalog=True)
            evaluations[f"{v.name} v{v.version}"] = evaluate(
                data,
                model.score(data),
                threshold=model.threshold,
                k=args.k,
                alert_budget=args.alert_budget,
                costs=_costs_from_args(args),
            )
    comparison = compare(evaluations, priority=args.priority)
    _print_comparison(comparison)
    if args.markdown:
        write_atomic(args.markdown, comparison.to_markdown())
        out.print(f"Markdown written to {args.markdown}")
    if args.json:
        write_atomic(args.json, comparison.to_json().decode() + "\n")
        out.print(f"JSON written to {args.json}")
    return 0


def _print_comparison(comparison: Any) -> None:
    """The comparison as a rich table (best values in bold) and its recommendation."""
    from fraudforge.models.compare import COLUMNS, LABELS, format_metric

    table = Table(title="model comparison (best in bold)")
    for col in ("model", "rows", "fraud", "threshold", *(LABELS[c] for c in COLUMNS)):
        table.add_column(col, justify="left" if col == "model" else "right")
    for name in comparison.models:
        ev = comparison.evaluations[name]
        cells = [name, f"{ev.rows:,}", f"{ev.positives:,}", f"{ev.threshold:.3g}"]
        for col in COLUMNS:
            text = format_metric(col, getattr(ev, col))
            cells.append(f"[bold]{text}[/bold]" if name in comparison.best[col] else text)
        table.add_row(*cells)
    out.print(table)
    rec = comparison.recommendation
    out.print(f"recommended for [bold]{rec.priority}[/bold]: [bold]{rec.model}[/bold]")
    for reason in rec.reasons:
        out.print(f"  - {reason}")
    for warning in comparison.warnings:
        out.print(f"[yellow]warning:[/yellow] {warning}")


def _add_registry_commands(sub: Any) -> None:
    """The ``compare`` and ``registry list|show|promote`` commands."""
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--registry", default="registry", help="model registry directory (default: registry)"
    )
    stages = "none, staging, production or archived"
    cmp = sub.add_parser(
        "compare",
        parents=[where],
        help="compare registered models side by side and recommend one for a business priority",
        description="Compare registered models on the metrics recorded at registration or, with "
        "--data and --features, on that dataset (then --test-days, --k, --alert-budget and the "
        "cost flags apply), and recommend one for a business priority.",
    )
    cmp.add_argument(
        "models",
        nargs="*",
        help="NAME, NAME:VERSION or NAME@STAGE (default: the newest version of every model)",
    )
    cmp.add_argument("--data", help="dataset directory to evaluate on (default: recorded metrics)")
    cmp.add_argument("--features", help="with --data: its features directory")
    cmp.add_argument(
        "--test-days", dest="test_days", type=int, help="with --data: evaluate on the last N days"
    )
    _add_cost_flags(cmp)  # used with --data
    cmp.add_argument(
        "--priority",
        default="balanced",
        help="balanced, recall-first or precision-first (default: balanced)",
    )
    cmp.add_argument("--markdown", help="write the comparison as Markdown to this file")
    cmp.add_argument("--json", help="write the comparison as JSON to this file")
    cmp.set_defaults(func=cmd_compare)
    reg = sub.add_parser("registry", help="list, show or promote registered models")
    regs = reg.add_subparsers(dest="registry_command", required=True)
    ls = regs.add_parser("list", parents=[where], help="list registered model versions")
    ls.add_argument("--name", help="only this model")
    ls.add_argument("--stage", help=f"only versions in this stage: {stages}")
    ls.add_argument("--tag", help="only versions with this tag")
    ls.set_defaults(func=cmd_registry_list)
    show = regs.add_parser("show", parents=[where], help="show one version's metadata")
    show.add_argument("name", help="model name")
    show.add_argument("--version", type=int, help="version (default: the newest)")
    show.add_argument("--stage", help=f"the newest version in this stage: {stages}")
    show.add_argument("--json", action="store_true", help="print the metadata as JSON")
    show.set_defaults(func=cmd_registry_show)
    promote = regs.add_parser("promote", parents=[where], help="move a version to a stage")
    promote.add_argument("name", help="model name")
    promote.add_argument("version", type=int, help="version number")
    promote.add_argument("stage", help=f"{stages} (production archives the previous one)")
    promote.set_defaults(func=cmd_registry_promote)


def _costs_from_args(args: argparse.Namespace) -> Any:
    """The review, friction and recovery figures of ``--review-cost`` and friends."""
    from fraudforge.models.metrics import Costs

    return Costs(
        review_cost_inr=args.review_cost,
        friction_cost_inr=args.friction_cost,
        recovery_rate=args.recovery_rate,
    )


def _json_params(text: str | None) -> dict[str, Any]:
    """``--params`` as a JSON object of model parameters."""
    import json

    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--params is not valid JSON ({exc}): allowed is an object") from exc
    if not isinstance(value, dict):
        raise ValueError(f"--params {text}: allowed is a JSON object such as '{{\"C\": 0.1}}'")
    return value


def _metrics_table(title: str, evaluations: dict[str, Any]) -> Table:
    """Evaluations side by side, one column each (e.g. validation and test)."""
    table = Table(title=title)
    table.add_column("metric")
    for label in evaluations:
        table.add_column(label, justify="right")
    first = next(iter(evaluations.values()))
    rows: list[tuple[str, str, str]] = [
        ("rows", "rows", ","),
        ("fraud rows", "positives", ","),
        ("ROC AUC", "roc_auc", ".4f"),
        ("average precision", "average_precision", ".4f"),
        (f"Card Precision@{first.k}", "card_precision_at_k", ".4f"),
        (f"recall at a {first.alert_budget:.1%} alert budget", "recall_at_budget", ".4f"),
        (f"precision at threshold {first.threshold:.4g}", "precision", ".4f"),
        ("recall at threshold", "recall", ".4f"),
        ("F1 at threshold", "f1", ".4f"),
        ("cost-benefit (INR)", "cost_benefit_inr", ",.0f"),
    ]
    for label, field, spec in rows:
        cells = [getattr(ev, field) for ev in evaluations.values()]
        table.add_row(label, *("n/a" if c is None else format(c, spec) for c in cells))
    return table


def _fraud_type_table(ev: Any) -> Table:
    """Recall, ROC AUC and recall at the alert budget per fraud type."""
    table = Table(title="test period by fraud type")
    for col in ("fraud type", "rows", "recall", "ROC AUC", "recall@budget"):
        table.add_column(col, justify="left" if col == "fraud type" else "right")
    for name, m in ev.by_fraud_type.items():
        auc = m["roc_auc"]
        table.add_row(
            name,
            f"{int(m['positives'] or 0):,}",
            f"{m['recall']:.3f}",
            "n/a" if auc is None else f"{auc:.3f}",
            f"{m['recall_at_budget']:.3f}",
        )
    return table


def cmd_train(args: argparse.Namespace) -> int:
    """Train a model on a dataset's features with a time-based split, evaluate it on validation
    and test, and register it when ``--registry`` is given."""
    from fraudforge.engine.dataset import read_manifest
    from fraudforge.features.pipeline import read_features
    from fraudforge.models.data import load_model_data
    from fraudforge.models.workflow import run_training

    with err.status("reading the features"):
        data = load_model_data(args.data, args.features)
    with err.status(f"training {args.model} on {len(data):,} rows"):
        run = run_training(
            data,
            kind=args.model,
            params=_json_params(args.params),
            select=args.select,
            n_features=args.n_features,
            calibrate=args.calibrate or False,
            validation_days=args.validation_days,
            test_days=args.test_days,
            gap_days=args.gap_days,
            train_days=args.train_days,
            threshold=args.threshold,
            threshold_rule=args.threshold_rule,
            k=args.k,
            alert_budget=args.alert_budget,
            costs=_costs_from_args(args),
            entity=args.entity,
            seed=args.seed,
            name=args.name,
        )
    periods = Table(title="time-based split (day 0 = the first day of data)")
    for col in ("period", "days", "rows", "fraud"):
        periods.add_column(col, justify="left" if col == "period" else "right")
    first = int(data.day.min())
    for p in run.periods:
        days = f"{p.days[0] - first}-{p.days[1] - 1 - first}" if p.rows else "none"
        periods.add_row(p.name, days, f"{p.rows:,}", f"{p.fraud:,}")
    out.print(periods)
    model = run.model
    chosen = (
        f"{len(model.features)} features"
        if run.selection is None
        else f"{len(model.features)} features selected by {run.selection.method}"
    )
    how = "given" if args.threshold is not None else f"best {args.threshold_rule} on validation"
    out.print(
        f"[bold]{model.kind}[/bold] on {chosen}, fitted in {run.fit_seconds:.1f} s; "
        f"alert threshold {model.threshold:.4g} ({how if run.validation else 'default'})"
    )
    evaluations = {"test": run.test}
    if run.validation is not None:
        evaluations = {"validation": run.validation, "test": run.test}
    out.print(_metrics_table("evaluation", evaluations))
    out.print(_fraud_type_table(run.test))
    if args.registry is None:
        out.print("not registered (pass --registry DIR to store the model)")
        return 0
    from fraudforge.models.registry import Registry

    manifest = read_manifest(args.data)
    features_manifest, _ = read_features(args.features)
    registry = Registry(args.registry)
    version = registry.register(
        model,
        name=args.name,
        metrics=run.test,
        scenario=manifest.scenario,
        data_hash=manifest.content_hash,
        catalog_hash=features_manifest.catalog_hash,
        tags=args.tag or (),
        description=f"fraudforge train --model {args.model}: test period metrics",
    )
    if args.stage:
        version = registry.promote(version.name, version.version, args.stage)
    out.print(
        f"registered [bold]{version.name} v{version.version}[/bold] in {args.registry} "
        f"(stage {version.stage})"
    )
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    """Search a model kind's parameters by cross-validation and print (and export) the results."""
    from fraudforge.models.data import load_model_data
    from fraudforge.models.search import search

    with err.status("reading the features"):
        data = load_model_data(args.data, args.features)
    total = None if args.method == "grid" else args.trials
    bar = Progress(
        TextColumn(f"[bold]{args.method} search[/bold] {args.model}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("trials"),
        TimeElapsedColumn(),
        console=err,
    )
    task = bar.add_task("tune", total=total)
    with bar:
        result = search(
            data,
            kind=args.model,
            method=args.method,
            metric=args.metric,
            n_trials=args.trials,
            cv=args.cv,
            n_splits=args.folds,
            gap_days=args.gap_days,
            test_days=args.test_days,
            train_days=args.train_days,
            params=_json_params(args.params),
            n_jobs=args.jobs,
            seed=args.seed,
            progress=lambda done, of: bar.update(task, completed=done, total=of),
            k=args.k,
            alert_budget=args.alert_budget,
            costs=_costs_from_args(args),
        )
    df = result.table.head(args.top)
    table = Table(
        title=f"{result.method} search of {result.kind}: best {args.top} by {result.metric}"
    )
    short = {f"mean_{result.metric}": "mean", f"std_{result.metric}": "std"}
    for col in df.columns:
        table.add_column(short.get(col, col), justify="left" if col == "state" else "right")
    for row in df.iter_rows():
        table.add_row(
            *("" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v) for v in row)
        )
    out.print(table)
    out.print(
        f"best parameters: {result.best_params} (mean {result.metric} {result.best.mean:.4f})"
    )
    if args.csv:
        out.print(f"results written to {result.write_csv(args.csv)}")
    if args.markdown:
        out.print(f"results written to {result.write_markdown(args.markdown)}")
    return 0


def _add_cost_flags(p: argparse.ArgumentParser) -> None:
    """Flags of the business metrics: Card Precision@k, alert budget, costs in INR."""
    p.add_argument("--k", type=int, default=100, help="k of Card Precision@k (default: 100)")
    p.add_argument(
        "--alert-budget",
        dest="alert_budget",
        type=float,
        default=0.01,
        help="share of rows analysts can review, for recall@budget (default: 0.01)",
    )
    _add_costs(p)


def _add_costs(p: argparse.ArgumentParser) -> None:
    """The review, friction and recovery flags that ``_costs_from_args`` reads."""
    p.add_argument(
        "--review-cost", dest="review_cost", type=float, default=150.0,
        help="INR per analyst review of an alert (default: 150)",
    )  # fmt: skip
    p.add_argument(
        "--friction-cost", dest="friction_cost", type=float, default=50.0,
        help="INR per genuine customer flagged (default: 50)",
    )  # fmt: skip
    p.add_argument(
        "--recovery-rate", dest="recovery_rate", type=float, default=1.0,
        help="share of a caught fraud's amount saved, 0 to 1 (default: 1)",
    )  # fmt: skip


def _add_model_commands(sub: Any) -> None:
    """The ``train`` and ``tune`` commands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", required=True, help="dataset directory written by `generate`")
    common.add_argument(
        "--features", required=True, help="its features directory written by `features`"
    )
    common.add_argument(
        "--model",
        default="lightgbm",
        help="lightgbm (default), logistic, decision_tree, random_forest, extra_trees, "
        "hist_gradient_boosting or isolation_forest",
    )
    common.add_argument("--params", help="model parameters as a JSON object")
    common.add_argument(
        "--gap-days", dest="gap_days", type=int, default=7,
        help="days left out before each evaluation period, for the label delay (default: 7)",
    )  # fmt: skip
    common.add_argument(
        "--test-days", dest="test_days", type=int, default=7,
        help="days of each test (tune: validation fold) period (default: 7)",
    )  # fmt: skip
    common.add_argument(
        "--train-days", dest="train_days", type=int,
        help="days of training before each gap (default: every earlier day)",
    )  # fmt: skip
    common.add_argument("--seed", type=int, default=0, help="random seed of the models")
    _add_cost_flags(common)
    train = sub.add_parser(
        "train", parents=[common], help="train a model with a time-based split and register it"
    )
    train.add_argument(
        "--validation-days", dest="validation_days", type=int, default=7,
        help="days of validation (for the threshold), between two gaps (default: 7; 0: none)",
    )  # fmt: skip
    train.add_argument("--select", help="select features first: correlation, l1, importance or rfe")
    train.add_argument(
        "--n-features", dest="n_features", type=int, default=20,
        help="with --select importance or rfe: features to keep (default: 20)",
    )  # fmt: skip
    train.add_argument(
        "--calibrate", choices=("isotonic", "sigmoid"),
        help="calibrate probabilities on the last 20%% of the training rows",
    )  # fmt: skip
    train.add_argument("--threshold", type=float, help="alert threshold (default: chosen)")
    train.add_argument(
        "--threshold-rule", dest="threshold_rule", choices=("cost", "f1"), default="cost",
        help="how the threshold is chosen on validation (default: cost)",
    )  # fmt: skip
    train.add_argument(
        "--entity", choices=("customer", "card"), default="customer",
        help="what Card Precision@k ranks (default: customer)",
    )  # fmt: skip
    train.add_argument("--registry", help="register the model in this registry directory")
    train.add_argument("--name", default="fraud-model", help="registered model name")
    train.add_argument("--tag", action="append", help="tag of the registered version (repeat)")
    train.add_argument(
        "--stage", choices=("staging", "production"), help="promote the new version to this stage"
    )
    train.set_defaults(func=cmd_train)
    tune = sub.add_parser(
        "tune", parents=[common], help="search a model's parameters by cross-validation"
    )
    tune.add_argument(
        "--method", default="random", help="grid, random (default) or bayes (Optuna TPE)"
    )
    tune.add_argument(
        "--metric", default="average_precision",
        help="roc_auc, average_precision, card_precision_at_k, recall_at_budget, cost_benefit, "
        "precision, recall or f1 (default: average_precision)",
    )  # fmt: skip
    tune.add_argument("--trials", type=int, default=20, help="random/bayes trials (default: 20)")
    tune.add_argument(
        "--cv", default="prequential", help="prequential (default, time-ordered) or stratified"
    )
    tune.add_argument("--folds", type=int, default=3, help="cross-validation folds (default: 3)")
    tune.add_argument("--jobs", type=int, default=1, help="trials run at once (default: 1)")
    tune.add_argument("--top", type=int, default=10, help="rows of the printed table")
    tune.add_argument("--csv", help="write the results table as CSV")
    tune.add_argument("--markdown", help="write the results table as Markdown")
    tune.set_defaults(func=cmd_tune)


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


def _demo_report(root: Path) -> int:
    """``fraudforge report`` on the demo's data with the registered model, evaluated on the
    test week it was not trained on: demo-output/report.html."""
    report = build_parser().parse_args(
        ["report", "--data", str(root / "data"), "--features", str(root / "features"),
         "--model", f"{DEMO_MODEL}@staging", "--registry", str(root / "registry"),
         "--test-days", "7", "--out", str(root / "report.html")]
    )  # fmt: skip
    return cmd_report(report)


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


def _add_service_commands(sub: Any) -> None:
    """The ``serve`` and ``api-key`` commands."""
    serve = sub.add_parser("serve", help="serve a registered model over HTTP")
    serve.add_argument("--config", help="TOML settings file (flags and FRAUDFORGE_* win)")
    serve.add_argument("--registry", help="model registry directory")
    serve.add_argument("--model", help="NAME@STAGE or NAME:VERSION (default: fraud@production)")
    serve.add_argument("--host", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: 8000)")
    serve.add_argument("--data", help="dataset to warm-start the online state from")
    serve.add_argument("--features", help="features directory giving the outlier model")
    serve.add_argument("--state", help="snapshot file: restored at start, written periodically")
    serve.add_argument(
        "--snapshot-interval", dest="snapshot_interval_s", type=float,
        help="seconds between snapshots (default: 300; 0: at shutdown only)",
    )  # fmt: skip
    serve.add_argument("--keys", help="API keys file (see `api-key`); none: no auth")
    serve.add_argument("--rate", dest="rate_per_s", type=float, help="requests/s per key")
    serve.add_argument("--burst", type=int, help="burst per key")
    serve.add_argument("--max-batch", dest="max_batch", type=int, help="batch limit")
    serve.add_argument("--max-body", dest="max_body_bytes", type=int, help="body limit, bytes")
    serve.add_argument("--max-amount", dest="max_amount_inr", type=float, help="INR limit")
    serve.add_argument(
        "--cors-origin", dest="cors_origins", action="append", help="allowed CORS origin"
    )
    serve.add_argument(
        "--thresholds", help="FLAG,REVIEW,BLOCK probability cut-offs (default: 0.3,0.6,0.9)"
    )
    serve.add_argument("--log-level", dest="log_level", help="debug, info, warning or error")
    serve.set_defaults(func=cmd_serve)
    key = sub.add_parser("api-key", help="create an API key and add its hash to a keys file")
    key.add_argument("--keys", required=True, help="keys file (created if missing)")
    key.add_argument("--id", dest="key_id", required=True, help="name of the key")
    key.add_argument(
        "--scopes", default="score", help="comma-separated: score, admin (default: score)"
    )
    key.set_defaults(func=cmd_api_key)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve a model until interrupted."""
    from fraudforge.service.server import run
    from fraudforge.service.settings import load_settings
    from fraudforge.service.state import preflight

    overrides = {k: v for k, v in vars(args).items() if k not in ("func", "command", "config")}
    if args.thresholds is not None:
        parts = args.thresholds.split(",")
        if len(parts) != 3:
            raise ValueError(f"--thresholds {args.thresholds!r}: allowed is FLAG,REVIEW,BLOCK")
        overrides["thresholds"] = dict(zip(("flag", "review", "block"), parts, strict=True))
    settings = load_settings(toml=args.config, overrides=overrides)
    preflight(settings)
    err.print(
        f"[bold]serve[/bold] {settings.model} from {settings.registry} on "
        f"http://{settings.host}:{settings.port} (docs at /docs)"
    )
    run(settings)
    return 0


def cmd_api_key(args: argparse.Namespace) -> int:
    """Create a key; print it once (only its hash is stored)."""
    from fraudforge.service.security import add_key

    key = add_key(args.keys, args.key_id, [s.strip() for s in args.scopes.split(",")])
    err.print(f"added key `{args.key_id}` to {args.keys}; it is shown only now:")
    out.print(key, markup=False, highlight=False)
    return 0


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
    _add_model_commands(sub)
    _add_registry_commands(sub)
    rep = sub.add_parser("report", help="write the analytics report as one HTML file")
    rep.add_argument("--data", required=True, help="dataset directory written by `generate`")
    rep.add_argument("--features", help="features directory of that dataset (for --model)")
    rep.add_argument(
        "--model",
        action="append",
        help="model to explain and evaluate: a LightGBM text model file, or NAME, NAME@STAGE or "
        "NAME:VERSION with --registry (repeat to compare models)",
    )
    rep.add_argument("--registry", help="model registry directory for --model references")
    rep.add_argument(
        "--test-days", dest="test_days", type=int,
        help="evaluate the models on the last N days only (default: every row)",
    )  # fmt: skip
    rep.add_argument("--out", required=True, help="report file to write, e.g. report.html")
    rep.add_argument(
        "--threshold", type=float, help="alert threshold, 0 to 1 (default: the cost-optimal one)"
    )
    _add_costs(rep)
    rep.set_defaults(func=cmd_report)
    _add_service_commands(sub)
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
