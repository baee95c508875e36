"""``fraudforge compare`` and ``registry list|show|promote``: registered models side by side."""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from fraudforge.cli._common import _add_cost_flags, _costs_from_args, err, out


def _registry(path: str, *, create: bool = False) -> Any:
    """The registry at ``path`` (refused when missing unless ``create``)."""
    from fraudforge.models.registry import Registry

    return Registry(path, create=create)


def _short(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _training_text(record: Any) -> str:
    """The periods a version was trained, validated and tested on, or why they are unknown."""
    if record is None:
        return (
            "not recorded (registered without a training record: by an older fraudforge, or "
            "from Python without `training=`)"
        )
    parts = [f"train {record.train.text()}"]
    for label, period in (("validation", record.validation), ("test", record.test)):
        if period is not None:
            parts.append(f"{label} {period.text()}")
    return "; ".join(parts) + f"; gaps of {record.gap_days} days"


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
    from fraudforge.models.provenance import read_training_record

    reg = _registry(args.registry)
    v = reg.show(args.name, args.version, stage=args.stage)
    stored = reg.training(v.name, v.version)
    if args.json:
        shown = {**msgspec.to_builtins(v), "training": stored}
        print(msgspec.json.format(msgspec.json.encode(shown), indent=2).decode())
        return 0
    record = read_training_record(stored)
    same = "matches the current catalogue" if v.catalog_hash == catalog_hash() else "DIFFERS"
    info = Table(title=f"{v.name} v{v.version}", show_header=False)
    info.add_column("field", style="bold")
    info.add_column("value", overflow="fold")
    for field, value in (
        ("stage", v.stage),
        ("kind", v.kind),
        ("created (UTC)", v.created_at),
        ("threshold", f"{v.threshold:.6g}" + (f" ({record.threshold_text()})" if record else "")),
        ("trained on", _training_text(record)),
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
    from fraudforge.foundation.atomic import write_atomic
    from fraudforge.models.compare import check_priority, compare

    check_priority(args.priority)
    if (args.data is None) != (args.features is None):
        err.print("[red]error:[/red] give both --data DATA and --features FEATURES, or neither")
        return 2
    reg = _registry(args.registry)
    from fraudforge.models.fraud_type import TYPE_SUFFIX
    from fraudforge.models.registry import parse_model_ref

    # by default every fraud model: not the fraud-type models registered beside them
    every = [(n, None, None) for n in reg.names() if not n.endswith(TYPE_SUFFIX)]
    refs = [parse_model_ref(m) for m in args.models] or every
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
