"""Shared fixtures of the service tests: one small generated scenario with its features and a
LightGBM model trained on them, built once per session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from threadpoolctl import threadpool_limits

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features import compute_features
from fraudforge.features.outlier import OutlierModel
from fraudforge.models import FraudModel, ModelData, model_data, train_model

SERVICE_SMALL = Scenario(customers=1_500, days=30, fraud_rate=0.05, anomaly_rate=0.04, seed=23)
"""About 70k transactions over 30 days: every fraud type, a model worth explaining."""


@dataclass(frozen=True)
class Served:
    """A scenario's tables, its features and a LightGBM model trained on them."""

    transactions: pl.DataFrame
    customers: pl.DataFrame
    outlier: OutlierModel
    data: ModelData
    model: FraudModel


@pytest.fixture(scope="session", autouse=True)
def one_openmp_thread() -> Iterator[None]:
    """One OpenMP/BLAS thread: spinning workers slow small fits on a loaded two-core machine."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="session")
def served() -> Served:
    """SERVICE_SMALL with a 60-tree LightGBM model on a subset of the features."""
    transactions = scan(SERVICE_SMALL).collect().sort("timestamp", "transaction_id")
    customers = scan_customers(SERVICE_SMALL).collect()
    features, outlier = compute_features(transactions, customers)
    data = model_data(features, transactions)
    picked = data.features[::2]  # a subset in a different order than the online layout
    model = train_model(
        data,
        features=picked[::-1],
        params={"n_estimators": 60, "num_leaves": 15, "min_child_samples": 10},
        name="fraud-lightgbm",
    )
    return Served(transactions, customers, outlier, data, model)


@dataclass(frozen=True)
class Deployment:
    """What ``fraudforge serve`` reads, on disk: a registry holding the model as versions 1
    (production) and 2 (staging), a snapshot of the online state after the first 80% of the
    stream, a keys file (keys with scope score; score and admin; feedback), and the remaining
    transactions to send."""

    root: Path
    registry: Path
    snapshot: Path
    keys: Path
    score_key: str
    admin_key: str
    name: str
    rest: list[dict[str, Any]]
    """The last 20% of the stream as JSON-ready transaction objects, in time order."""
    feedback_key: str = ""

    def settings(self, state: Path, *, copy: bool = True, **changes: Any) -> Any:
        """Settings serving the production model from the snapshot file ``state`` (with
        ``copy``, a fresh copy of the deployment's), with the keys file and no periodic
        snapshots."""
        from fraudforge.service.settings import load_settings

        if copy:
            state.write_bytes(self.snapshot.read_bytes())
        base = {
            "registry": str(self.registry),
            "model": f"{self.name}@production",
            "state": str(state),
            "keys": str(self.keys),
            "snapshot_interval_s": 0,
        }
        return load_settings(environ={}, overrides={**base, **changes})


@pytest.fixture(scope="session")
def deployment(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """SERVICE_SMALL's model registered and its online state snapshotted."""
    from fraudforge.features.online import OnlineFeatures
    from fraudforge.features.replay import save_snapshot
    from fraudforge.models import Registry
    from fraudforge.service.security import add_key
    from fraudforge.wire import Transaction

    root = tmp_path_factory.mktemp("deployment")
    registry = Registry(root / "registry")
    name = served.model.name or "fraud-lightgbm"
    first = registry.register(served.model, name=name)
    registry.promote(name, first.version, "production")
    second = registry.register(served.model, name=name)
    registry.promote(name, second.version, "staging")
    tx = served.transactions
    cut = int(tx.height * 0.8)
    online = OnlineFeatures.from_customers(served.customers, served.outlier)
    for row in tx.head(cut).iter_rows(named=True):
        online.process_row(row)
    snapshot = root / "state.npz"
    save_snapshot(online, snapshot)
    keys = root / "keys.json"
    score_key = add_key(keys, "scorer", ["score"])
    admin_key = add_key(keys, "ops", ["score", "admin"])
    feedback_key = add_key(keys, "labels", ["feedback"])
    fields = list(Transaction.__struct_fields__)
    rest = [
        {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()}
        for row in tx.slice(cut).select(fields).iter_rows(named=True)
    ]
    return Deployment(
        root, root / "registry", snapshot, keys, score_key, admin_key, name, rest, feedback_key
    )
