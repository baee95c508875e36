"""Batch scoring: score every transaction of a Parquet dataset with a registered model and write
the scores to one Parquet file, a slice of rows at a time (memory holds one slice).

    python examples/batch_score.py --data pipeline-output/data \
        --registry pipeline-output/registry --model fraud-model@production --out scores.parquet

Without ``--features`` the dataset's features are computed first into a temporary directory.
The scores file is written to a temporary sibling and renamed into place when complete.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from fraudforge.features import build_features, read_features
from fraudforge.foundation.atomic import staged_file
from fraudforge.models import FraudModel, Registry


def load(registry: Path, ref: str) -> FraudModel:
    """The registered model ``NAME``, ``NAME@STAGE`` or ``NAME:VERSION`` (sha256-checked;
    refused when trained on another features catalogue)."""
    reg = Registry(registry, create=False)
    info = reg.resolve(ref)
    return reg.load(info.name, info.version, check_catalog=True)


def score_features(
    model: FraudModel, features: Path, out: Path, *, batch_rows: int, rows: int | None
) -> int:
    """Write ``transaction_id``, ``fraud_probability`` and ``alert`` for the first ``rows`` rows
    (all when None) of features directory ``features`` to ``out``; returns the rows written."""
    _, table = read_features(features)
    table = table.select("transaction_id", *model.features)
    total = int(table.select(pl.len()).collect().item())
    total = total if rows is None else min(rows, total)
    schema = pa.schema(
        [("transaction_id", pa.int64()), ("fraud_probability", pa.float64()), ("alert", pa.bool_())]
    )
    with staged_file(out) as partial, pq.ParquetWriter(partial, schema) as writer:
        for offset in range(0, total, batch_rows):
            part = table.slice(offset, min(batch_rows, total - offset)).collect()
            probability = model.score(part)
            scores = pl.DataFrame(
                {
                    "transaction_id": part["transaction_id"],
                    "fraud_probability": probability,
                    "alert": probability >= model.threshold,
                }
            )
            writer.write_table(scores.to_arrow().cast(schema))
    return total


def main(argv: list[str] | None = None) -> int:
    """Parse the options, compute the features if needed, score and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="dataset directory")
    parser.add_argument("--features", type=Path, help="its features directory (else computed)")
    parser.add_argument("--registry", type=Path, required=True)
    parser.add_argument("--model", default="fraud-model@production", help="NAME@STAGE|NAME:V")
    parser.add_argument("--out", type=Path, default=Path("scores.parquet"))
    parser.add_argument("--rows", type=int, help="score only the first ROWS transactions")
    parser.add_argument("--batch-rows", type=int, default=250_000, help="rows per slice")
    args = parser.parse_args(argv)
    if args.batch_rows < 1:
        parser.error(f"--batch-rows {args.batch_rows}: allowed is 1 or more")
    model = load(args.registry, args.model)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fraudforge-features-") as scratch:
        features = args.features
        if features is None:
            features = Path(scratch) / "features"
            build_features(args.data, features)
            print(f"computed the features of {args.data}")
        written = score_features(
            model, features, args.out, batch_rows=args.batch_rows, rows=args.rows
        )
    seconds = time.perf_counter() - started
    alerts = int(pl.scan_parquet(args.out).select(pl.col("alert").sum()).collect().item())
    print(
        f"scored {written:,} transactions with {model.name} (threshold {model.threshold:.4f}) "
        f"in {seconds:.2f} s: {alerts:,} alerts, written to {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
