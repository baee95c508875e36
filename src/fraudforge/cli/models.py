"""``fraudforge train`` and ``tune``: fit a model kind on a features directory, or search its
parameters."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from rich.table import Table

from fraudforge.cli._common import _add_cost_flags, _costs_from_args, add_quiet_flag, out
from fraudforge.cli.progress import Meter
from fraudforge.foundation.errors import ConfigError

if TYPE_CHECKING:
    from fraudforge.models.data import ModelData
    from fraudforge.models.registry import ModelVersion, Registry


def _json_params(text: str | None) -> dict[str, Any]:
    """``--params`` as a JSON object of model parameters."""
    import json

    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--params is not valid JSON ({exc}): allowed is an object") from exc
    if not isinstance(value, dict):
        raise ConfigError(f"--params {text}: allowed is a JSON object such as '{{\"C\": 0.1}}'")
    return value


def _metrics_table(title: str, evaluations: dict[str, Any]) -> Table:
    """Evaluations side by side, one column each (e.g. validation and test)."""
    table = Table(title=title)
    table.add_column("metric")
    for label in evaluations:
        table.add_column(label, justify="right")
    from fraudforge.models.metric_registry import RANKED
    from fraudforge.models.metric_registry import metric as registered_metric

    first = next(iter(evaluations.values()))
    rows: list[tuple[str, str, str]] = [("rows", "rows", ","), ("fraud rows", "positives", ",")]
    for name in RANKED:
        m = registered_metric(name)
        title = m.title.format(
            k=first.k, alert_budget=first.alert_budget, threshold=first.threshold
        )
        rows.append((title, name, ",.0f" if m.in_rupees else ".4f"))
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
    from fraudforge.models.data import load_model_data
    from fraudforge.models.training import ROUNDS_STEP
    from fraudforge.models.workflow import run_training

    with Meter("train", units={ROUNDS_STEP: "rounds"}, quiet=args.quiet) as meter:
        meter.phase("reading the features")
        data = load_model_data(args.data, args.features)
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
            progress=meter,
        )
    say: Any = out.print if not args.json else (lambda *_, **__: None)
    periods = Table(title="time-based split (day 0 = the first day of data)")
    for col in ("period", "days", "rows", "fraud"):
        periods.add_column(col, justify="left" if col == "period" else "right")
    first = int(data.day.min())
    for p in run.periods:
        days = f"{p.days[0] - first}-{p.days[1] - 1 - first}" if p.rows else "none"
        periods.add_row(p.name, days, f"{p.rows:,}", f"{p.fraud:,}")
    say(periods)
    model = run.model
    chosen = (
        f"{len(model.features)} features"
        if run.selection is None
        else f"{len(model.features)} features selected by {run.selection.method}"
    )
    how = "given" if args.threshold is not None else f"best {args.threshold_rule} on validation"
    say(
        f"[bold]{model.kind}[/bold] on {chosen}, fitted in {run.fit_seconds:.1f} s; "
        f"alert threshold {model.threshold:.4g} ({how if run.validation else 'default'})"
    )
    evaluations = {"test": run.test}
    if run.validation is not None:
        evaluations = {"validation": run.validation, "test": run.test}
    say(_metrics_table("evaluation", evaluations))
    say(_fraud_type_table(run.test))
    registered: list[ModelVersion] = []
    if args.registry is None:
        say("not registered (pass --registry DIR to store the model)")
    else:
        registered = _register(args, run, data, say)
    if args.json:
        print(_run_json(run, first, registered))
    return 0


def _register(args: argparse.Namespace, run: Any, data: ModelData, say: Any) -> list[Any]:
    """Register the trained model (and its fraud-type model) in ``--registry``; returns the
    versions registered."""
    from fraudforge.engine.dataset import read_manifest
    from fraudforge.features.pipeline import read_features
    from fraudforge.models.provenance import training_record
    from fraudforge.models.registry import Registry

    manifest = read_manifest(args.data)
    features_manifest, _ = read_features(args.features, dataset=args.data)
    registry = Registry(args.registry)
    provenance: dict[str, Any] = {
        "scenario": manifest.scenario,
        "data_hash": manifest.content_hash,
        "catalog_hash": features_manifest.catalog_hash,
        "tags": args.tag or (),
    }
    version = registry.register(
        run.model,
        name=args.name,
        metrics=run.test,
        description=f"fraudforge train --model {args.model}: test period metrics",
        training=training_record(run),
        **provenance,
    )
    if args.stage:
        version = registry.promote(version.name, version.version, args.stage)
    say(
        f"registered [bold]{version.name} v{version.version}[/bold] in {args.registry} "
        f"(stage {version.stage})"
    )
    train = data.subset(run.split.train)
    types = _register_fraud_type(registry, version, train, provenance, quiet=args.quiet, say=say)
    return [version] if types is None else [version, types]


def _run_json(run: Any, first_day: int, registered: list[Any]) -> str:
    """``train --json``: the split, the model, its evaluations and what was registered."""
    import msgspec

    model = run.model
    document = {
        "periods": [
            {
                "period": p.name,
                "first_day": p.days[0] - first_day if p.rows else None,
                "last_day": p.days[1] - 1 - first_day if p.rows else None,
                "rows": p.rows,
                "fraud": p.fraud,
            }
            for p in run.periods
        ],
        "model": {
            "kind": model.kind,
            "features": list(model.features),
            "selection": None if run.selection is None else run.selection.method,
            "threshold": model.threshold,
            "threshold_source": run.threshold_source,
            "fit_seconds": run.fit_seconds,
        },
        "validation": run.validation,
        "test": run.test,
        "registered": [
            {"name": v.name, "version": v.version, "stage": v.stage} for v in registered
        ],
    }
    return msgspec.json.format(msgspec.json.encode(document), indent=2).decode()


def _register_fraud_type(
    registry: Registry,
    version: ModelVersion,
    train: ModelData,
    provenance: dict[str, Any],
    *,
    quiet: bool,
    say: Any,
) -> ModelVersion | None:
    """Register the fraud-type model of the model just registered, fitted on its training
    rows with the same provenance, so the service names each score's likely fraud type; says
    why when the training rows cannot fit one."""
    from fraudforge.models.fraud_type import FraudTypeDataError, register_fraud_type

    with Meter("train", quiet=quiet) as meter:
        meter.phase("fitting the fraud-type model")
        try:
            types = register_fraud_type(registry, version, train, **provenance)
        except FraudTypeDataError as exc:
            say(f"no fraud-type model (scores will name no fraud type): {exc}")
            return None
    say(
        f"registered [bold]{types.name} v{types.version}[/bold] (stage {types.stage}): the most "
        "likely fraud type of each score"
    )
    return types


def cmd_tune(args: argparse.Namespace) -> int:
    """Search a model kind's parameters by cross-validation and print (and export) the results."""
    from fraudforge.models.data import load_model_data
    from fraudforge.models.search import require_optuna, search

    if args.method == "bayes":  # refused before the features are read
        require_optuna()
    step = f"{args.method} search of {args.model}"
    with Meter("tune", units={step: "trials"}, quiet=args.quiet) as meter:
        meter.phase("reading the features")
        data = load_model_data(args.data, args.features)
        meter(step, 0, None if args.method == "grid" else args.trials)
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
            progress=lambda done, of: meter(step, done, of),
            k=args.k,
            alert_budget=args.alert_budget,
            costs=_costs_from_args(args),
        )
    if args.json:
        import msgspec

        document = {
            "kind": result.kind,
            "method": result.method,
            "metric": result.metric,
            "best_params": result.best_params,
            "best_mean": result.best.mean,
            "trials": result.table.to_dicts(),
        }
        print(msgspec.json.format(msgspec.json.encode(document), indent=2).decode())
        return 0
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


def _add_model_commands(sub: Any) -> None:
    """The ``train`` and ``tune`` commands."""
    from fraudforge.models.metric_registry import ACCEPTED, DEFAULT_METRIC
    from fraudforge.models.options import CALIBRATION_METHODS, ENTITIES, THRESHOLD_RULES

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
        "--calibrate", choices=CALIBRATION_METHODS,
        help="calibrate probabilities on the last 20%% of the training rows",
    )  # fmt: skip
    train.add_argument("--threshold", type=float, help="alert threshold (default: chosen)")
    train.add_argument(
        "--threshold-rule", dest="threshold_rule", choices=THRESHOLD_RULES, default="cost",
        help="how the threshold is chosen on validation (default: cost)",
    )  # fmt: skip
    train.add_argument(
        "--entity", choices=ENTITIES, default="customer",
        help="what Card Precision@k ranks (default: customer)",
    )  # fmt: skip
    train.add_argument("--registry", help="register the model in this registry directory")
    train.add_argument("--name", default="fraud-model", help="registered model name")
    train.add_argument("--tag", action="append", help="tag of the registered version (repeat)")
    train.add_argument(
        "--stage", choices=("staging", "production"), help="promote the new version to this stage"
    )
    add_quiet_flag(train)
    train.add_argument(
        "--json", action="store_true", help="print the split, model and evaluations as JSON"
    )
    train.set_defaults(func=cmd_train)
    tune = sub.add_parser(
        "tune", parents=[common], help="search a model's parameters by cross-validation"
    )
    tune.add_argument(
        "--method", default="random", help="grid, random (default) or bayes (Optuna TPE)"
    )
    tune.add_argument(
        "--metric",
        default=DEFAULT_METRIC,
        choices=ACCEPTED,
        metavar="METRIC",
        help=f"{', '.join(ACCEPTED)} (default: {DEFAULT_METRIC})",
    )
    tune.add_argument("--trials", type=int, default=20, help="random/bayes trials (default: 20)")
    tune.add_argument(
        "--cv", default="prequential", help="prequential (default, time-ordered) or stratified"
    )
    tune.add_argument("--folds", type=int, default=3, help="cross-validation folds (default: 3)")
    tune.add_argument("--jobs", type=int, default=1, help="trials run at once (default: 1)")
    tune.add_argument("--top", type=int, default=10, help="rows of the printed table")
    tune.add_argument("--csv", help="write the results table as CSV")
    tune.add_argument("--markdown", help="write the results table as Markdown")
    add_quiet_flag(tune)
    tune.add_argument("--json", action="store_true", help="print every trial and the best as JSON")
    tune.set_defaults(func=cmd_tune)
