"""``fraudforge report``: the analytics report of a dataset and its models."""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Sequence
from typing import Any

from fraudforge.cli._common import _costs_from_args, err, out
from fraudforge.cli.progress import Meter
from fraudforge.foundation.errors import ConfigError, DataError


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
    """Write the analytics report of a dataset (and its features and models) as one HTML file.

    Models are evaluated on the rows ``analytics.scope.evaluation_scope`` picks: by default the
    days after a registered model's training and validation data, at its registered threshold;
    ``--test-days`` and ``--threshold`` override."""
    import polars as pl

    from fraudforge.analytics.dashboard import build_report, check_report_path, write_report
    from fraudforge.analytics.scope import evaluation_scope
    from fraudforge.engine.dataset import read_manifest, scan_dataset
    from fraudforge.features.pipeline import read_features

    costs = _costs_from_args(args)
    check_report_path(args.out)
    if args.model and args.features is None:
        err.print("[red]error:[/red] --model needs --features FEATURES (the features it scores)")
        return 2
    if args.test_days is not None and args.test_days < 1:
        raise ConfigError(f"--test-days {args.test_days}: allowed is 1 or more")
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise ConfigError(f"threshold = {args.threshold!r}: allowed is 0 to 1")
    with Meter("report", quiet=args.quiet) as meter:
        started = time.perf_counter()
        meter.phase("reading the data")
        transactions = scan_dataset(args.data).collect()
        features = (
            read_features(args.features, dataset=args.data)[1].collect() if args.features else None
        )
        models = _report_models(args.model or [], args.registry)
        scope = None
        if models:
            assert features is not None
            # Calendar days, as the training split counts them (models.data.ModelData.day).
            day = features.select("transaction_id").join(
                transactions.select(
                    "transaction_id", pl.col("timestamp").dt.epoch("d").alias("day")
                ),
                on="transaction_id",
                how="left",
                maintain_order="left",
            )["day"]
            if day.null_count():
                raise DataError(
                    f"{day.null_count():,} features row(s) have a transaction_id absent from the "
                    "transactions table: pass the dataset the features were computed from"
                )
            scope = evaluation_scope(
                models,
                day.to_numpy(),
                test_days=args.test_days,
                threshold=args.threshold,
                data_hash=read_manifest(args.data).content_hash,
            )
            features = features.filter(pl.Series(scope.keep))
            for warning in scope.warnings:
                err.print(f"[yellow]warning:[/yellow] {warning}")
        meter.phase("scoring")
        assert features is not None or not models
        scores = {m.name: m.score(features) for m in models}
        explained = next((m for m in models if m.booster is not None), None)
        meter.phase("realism")
        from fraudforge.realism import load_targets, score

        realism = score(args.data, load_targets(args.targets))
        meter.phase("analysing")
        html = build_report(
            transactions=transactions,
            features=features,
            scores=scores or None,
            model=explained.booster if explained else None,
            feature_names=explained.features if explained else None,
            costs=costs,
            threshold=args.threshold,
            thresholds=scope.thresholds if scope else None,
            evaluation=scope.rows if scope else None,
            warnings=scope.warnings if scope else (),
            realism=realism,
        )
    path = write_report(html, args.out)
    out.print(
        f"[bold]report[/bold] {path.resolve()} ({len(html) / 1e6:.1f} MB, "
        f"{time.perf_counter() - started:.1f} s)"
    )
    return 0
