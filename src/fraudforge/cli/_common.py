"""Shared pieces of the command line: the consoles, and flags that several commands take."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from fraudforge.engine.dataset import FORMATS
from fraudforge.engine.scenario import PRESETS
from fraudforge.foundation.runtime import Performance, load_performance

DEMO_MODEL = "fraud-lightgbm"
"""The model name ``make demo`` registers."""
err = Console(stderr=True)
out = Console()
BACKENDS: tuple[str, ...] = ("local", "ray")
"""Where ``generate`` and ``features`` run: this machine or a Ray cluster."""


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


def _add_performance_flags(p: argparse.ArgumentParser) -> None:
    """``--settings`` and ``--memory-limit``: the [performance] settings (docs/configuration.md)."""
    p.add_argument(
        "--settings",
        type=Path,
        help="TOML file with a [performance] table (default: ./fraudforge.toml when present)",
    )
    p.add_argument(
        "--memory-limit",
        dest="memory_limit",
        help="peak memory to plan for, e.g. 2GiB or 1500MB (caps workers, shards per file and "
        "entity buckets; default: none)",
    )


def performance_from_args(args: argparse.Namespace) -> Performance:
    """The performance settings: the settings file, FRAUDFORGE_* variables, then these flags."""
    return load_performance(
        settings=getattr(args, "settings", None),
        overrides={
            name: getattr(args, name, None)
            for name in ("threads", "shard_size", "chunk_shards", "memory_limit")
        },
    )


def _add_generate_flags(p: argparse.ArgumentParser, *, demo: bool = False) -> None:
    p.add_argument(
        "--rows",
        type=int,
        help="target number of transactions; customers are derived (default: the preset's "
        "customers, 10,000 for india: about 1.3M rows over 90 days)",
    )
    p.add_argument(
        "--seed", type=int, help="random seed; the dataset is a pure function of it (default: 42)"
    )
    p.add_argument(
        "--out", required=not demo, default="demo-output" if demo else None, help="output directory"
    )
    p.add_argument("--threads", type=int, help="workers (default: one per core)")
    _add_performance_flags(p)
    if demo:
        return
    p.add_argument("--preset", choices=PRESETS, help="scenario preset (default: india)")
    p.add_argument("--config", type=Path, help="scenario file (.toml, .yaml or .yml)")
    p.add_argument(
        "--customers", type=int, help="number of customers, instead of --rows (default: 10,000)"
    )
    p.add_argument(
        "--merchants",
        type=int,
        help="number of merchants, terminals for handbook (default: customers / 5, at least "
        "the guaranteed base)",
    )
    p.add_argument("--days", type=int, help="number of simulated days (default: 90)")
    p.add_argument(
        "--start-date",
        dest="start_date",
        help="first simulated day, YYYY-MM-DD (default: 2025-09-01; the festival calendar covers "
        "2018-2027)",
    )
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
    add_quiet_flag(p, "no progress lines or summary")
    _add_backend_flags(p)


def add_quiet_flag(
    p: argparse.ArgumentParser, text: str = "no progress lines, only the result"
) -> None:
    """``--quiet``: silence the progress of a long command (errors still show)."""
    p.add_argument("--quiet", action="store_true", help=text)


def _costs_from_args(args: argparse.Namespace) -> Any:
    """The review, friction and recovery figures of ``--review-cost`` and friends."""
    from fraudforge.models.metrics import Costs

    return Costs(
        review_cost_inr=args.review_cost,
        friction_cost_inr=args.friction_cost,
        recovery_rate=args.recovery_rate,
    )


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
