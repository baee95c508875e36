"""End to end with the Python API: generate a dataset, compute its features, train LightGBM on
a time split with a label-delay gap, pick the alert threshold on validation, evaluate on the
test week and register the model in production.

    python examples/pipeline.py --rows 200000 --out pipeline-output
"""

from __future__ import annotations

import argparse
from pathlib import Path

import fraudforge
from fraudforge.features import build_features
from fraudforge.models import (
    Registry,
    best_threshold,
    evaluate,
    load_model_data,
    time_split,
    train_model,
)


def run(
    out: Path, *, rows: int, seed: int, name: str, trees: int, fraud_rate: float
) -> tuple[int, float | None]:
    """Build everything under ``out`` (data/, features/, registry/); returns the registered
    version and its test ROC AUC."""
    scenario = fraudforge.Scenario(target_rows=rows, seed=seed, fraud_rate=fraud_rate)
    manifest = fraudforge.generate(scenario, out / "data", overwrite=True)
    count = manifest.rows["transactions"]
    print(f"generated {count:,} transactions, content hash {manifest.content_hash}")

    features = build_features(out / "data", out / "features", overwrite=True)
    print(f"computed {len(features.features)} features")

    data = load_model_data(out / "data", out / "features")
    split = time_split(data, validation_days=7, test_days=7, gap_days=7)
    train, validation, test = (
        data.subset(rows) for rows in (split.train, split.validation, split.test)
    )
    model = train_model(train, kind="lightgbm", params={"n_estimators": trees}, name=name)
    model.threshold = best_threshold(validation, model.score(validation), rule="cost")
    result = evaluate(test, model.score(test), threshold=model.threshold)
    print(
        f"test week: {result.rows:,} rows, {result.positives} fraud; ROC AUC {result.roc_auc:.4f}, "
        f"AP {result.average_precision:.4f}, recall {result.recall:.3f} at threshold "
        f"{model.threshold:.4f}, Card Precision@{result.k} {result.card_precision_at_k:.3f}"
    )

    registry = Registry(out / "registry")
    version = registry.register(
        model,
        name=name,
        metrics=result,
        scenario=manifest.scenario,
        data_hash=manifest.content_hash,
        catalog_hash=features.catalog_hash,
        tags=["example"],
        description="examples/pipeline.py: test-week metrics",
    )
    registry.promote(name, version.version, "production")
    print(f"registered {name} v{version.version} in production at {out / 'registry'}")
    return version.version, result.roc_auc


def main(argv: list[str] | None = None) -> int:
    """Parse the options and run the pipeline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="transactions to generate")
    parser.add_argument("--out", type=Path, default=Path("pipeline-output"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fraud-rate", type=float, default=0.02)
    parser.add_argument("--name", default="fraud-model", help="registered model name")
    parser.add_argument("--trees", type=int, default=200, help="LightGBM trees")
    args = parser.parse_args(argv)
    run(
        args.out,
        rows=args.rows,
        seed=args.seed,
        name=args.name,
        trees=args.trees,
        fraud_rate=args.fraud_rate,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
