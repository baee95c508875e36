"""``fraudforge compare`` and ``registry list|show|promote``: registered models side by side."""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from fraudforge.cli._common import _add_cost_flags, _costs_from_args, err, out
from fraudforge.cli.tables import Column, print_fitted
from fraudforge.foundation.errors import ConfigError


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
    """List registered model versions as a table that fits the terminal, or as JSON."""
    from fraudforge.models.metric_registry import LISTED, METRICS

    versions = _registry(args.registry).list(args.name, stage=args.stage, tag=args.tag)
    if args.json:
        _print_json([_version_summary(v) for v in versions])
        return 0
    columns = [
        Column("name"),
        Column("v", right=True),
        Column("stage"),
        Column("kind", drop=3),
        Column("created (UTC)", drop=5),
        Column("feat.", right=True, drop=4),
        *(
            Column(METRICS[m].label, right=True, drop=2 if i > 1 else 0)
            for i, m in enumerate(LISTED)
        ),
        Column("tags", drop=6),
    ]
    rows = [
        [
            v.name,
            str(v.version),
            v.stage,
            v.kind,
            v.created_at[:16].replace("T", " "),
            str(len(v.features)),
            *(_short(v.metric(m)) for m in LISTED),
            ", ".join(v.tags),
        ]
        for v in versions
    ]
    title = f"model registry {args.registry}: {len(versions)} version(s)"
    print_fitted(out, title, columns, rows)
    return 0


def _version_summary(v: Any) -> dict[str, Any]:
    """What ``registry list --json`` prints of a version: its identity, stage and metrics."""
    return {
        "name": v.name,
        "version": v.version,
        "stage": v.stage,
        "kind": v.kind,
        "created_at": v.created_at,
        "features": len(v.features),
        "threshold": v.threshold,
        "metrics": {k: m for k, m in v.metrics.items() if isinstance(m, int | float)},
        "tags": list(v.tags),
    }


def _print_json(value: Any) -> None:
    """``value`` as indented JSON on standard output."""
    import msgspec

    print(msgspec.json.format(msgspec.json.encode(value), indent=2).decode())


def cmd_registry_show(args: argparse.Namespace) -> int:
    """Show one model version's metadata, metrics, files and stage history."""
    import msgspec

    from fraudforge.features.pipeline import catalog_hash
    from fraudforge.models.provenance import read_training_record

    reg = _registry(args.registry)
    v = reg.show(args.name, args.version, stage=args.stage)
    stored = reg.training(v.name, v.version)
    if args.json:
        _print_json({**msgspec.to_builtins(v), "training": stored})
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

    # by default every fraud model: not the fraud-type models registered beside them
    refs = args.models or [n for n in reg.names() if not n.endswith(TYPE_SUFFIX)]
    if not refs:
        err.print(f"[red]error:[/red] the registry {args.registry} holds no models to compare")
        return 2
    chosen = [reg.resolve(ref) for ref in refs]
    evaluations: dict[str, Any] = {}
    if args.data is None:
        for v in chosen:
            if not v.metrics:
                raise ConfigError(
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
                raise ConfigError(f"--test-days {args.test_days}: allowed is 1 or more")
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
    if args.json == "-":
        print(comparison.to_json().decode())
        return 0
    _print_comparison(comparison)
    if args.markdown:
        write_atomic(args.markdown, comparison.to_markdown())
        out.print(f"Markdown written to {args.markdown}")
    if args.json:
        write_atomic(args.json, comparison.to_json().decode() + "\n")
        out.print(f"JSON written to {args.json}")
    return 0


def _print_comparison(comparison: Any) -> None:
    """The comparison as a table that fits the terminal (best values in bold) and its
    recommendation."""
    from fraudforge.models.compare import COLUMNS, LABELS, format_metric

    heads = ("model", "rows", "fraud", "threshold", *(LABELS[c] for c in COLUMNS))
    # metrics that depend on the threshold go first when the terminal is narrow
    columns = [
        Column(head, right=i > 0, drop=(3 if i in (1, 2) else 1 if i > 5 else 0))
        for i, head in enumerate(heads)
    ]
    rows = []
    for name in comparison.models:
        ev = comparison.evaluations[name]
        cells = [name, f"{ev.rows:,}", f"{ev.positives:,}", f"{ev.threshold:.3g}"]
        cells += [format_metric(col, getattr(ev, col)) for col in COLUMNS]
        rows.append(cells)

    def bold(r: int, i: int) -> str:
        if i < 4:
            return ""
        return "bold" if comparison.models[r] in comparison.best[COLUMNS[i - 4]] else ""

    print_fitted(out, "model comparison (best in bold)", columns, rows, style=bold)
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
    from fraudforge.models.metric_registry import DEFAULT_PRIORITY, PRIORITIES
    from fraudforge.wire.reference import FORMS, STAGES

    stages = ", ".join(STAGES)
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
        help=f"{FORMS}; a bare NAME is its production version, else its newest (default: "
        "every model by its bare name)",
    )
    cmp.add_argument("--data", help="dataset directory to evaluate on (default: recorded metrics)")
    cmp.add_argument("--features", help="with --data: its features directory")
    cmp.add_argument(
        "--test-days", dest="test_days", type=int, help="with --data: evaluate on the last N days"
    )
    _add_cost_flags(cmp)  # used with --data
    cmp.add_argument(
        "--priority",
        default=DEFAULT_PRIORITY,
        help=f"{', '.join(PRIORITIES)} (default: {DEFAULT_PRIORITY})",
    )
    cmp.add_argument("--markdown", help="write the comparison as Markdown to this file")
    cmp.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="the comparison as JSON: printed instead of the table, or written to FILE",
    )
    cmp.set_defaults(func=cmd_compare)
    reg = sub.add_parser("registry", help="list, show or promote registered models")
    regs = reg.add_subparsers(dest="registry_command", required=True)
    ls = regs.add_parser("list", parents=[where], help="list registered model versions")
    ls.add_argument("--name", help="only this model")
    ls.add_argument("--stage", help=f"only versions in this stage: {stages}")
    ls.add_argument("--tag", help="only versions with this tag")
    ls.add_argument("--json", action="store_true", help="print the versions as JSON")
    ls.set_defaults(func=cmd_registry_list)
    show = regs.add_parser("show", parents=[where], help="show one version's metadata")
    show.add_argument("name", help="model name")
    show.add_argument(
        "--version", type=int, help="version (default: the production one, else the newest)"
    )
    show.add_argument("--stage", help=f"the newest version in this stage: {stages}")
    show.add_argument("--json", action="store_true", help="print the metadata as JSON")
    show.set_defaults(func=cmd_registry_show)
    promote = regs.add_parser("promote", parents=[where], help="move a version to a stage")
    promote.add_argument("name", help="model name")
    promote.add_argument("version", type=int, help="version number")
    promote.add_argument("stage", help=f"{stages} (production archives the previous one)")
    promote.set_defaults(func=cmd_registry_promote)
