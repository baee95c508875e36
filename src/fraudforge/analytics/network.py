"""The network of parties in multi-party fraud incidents (collusion rings, mule networks,
loyalty rings): customers linked to the merchants, devices and payee accounts they used."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from fraudforge.analytics._arrays import F64
from fraudforge.analytics._frames import require_columns

NODE_KINDS: tuple[str, ...] = ("customer", "merchant", "device", "payee")
_COLUMNS = (
    "fraud_scenario_id",
    "fraud_type",
    "customer_id",
    "merchant_id",
    "device_id",
    "counterparty",
)


@dataclass(frozen=True)
class Network:
    """Nodes (key, kind, label, x, y, degree) and edges (source, target, fraud_type,
    fraud_scenario_id, transactions) of the drawn incidents, plus a per-fraud-type summary of
    every multi-party incident (not only the drawn ones)."""

    nodes: pl.DataFrame
    edges: pl.DataFrame
    summary: pl.DataFrame


def multi_party_incidents(tx: pl.DataFrame, *, min_customers: int = 2) -> pl.DataFrame:
    """Fraud incidents whose rows involve at least ``min_customers`` distinct customers: one
    row per incident with its fraud type, customers, merchants, devices, payees and rows.

    Parameters
    ----------
    tx
        Transactions of a dataset.
    min_customers
        The fewest distinct customers an incident involves to be kept.

    Returns
    -------
    polars.DataFrame
        One row per incident, most customers first.
    """
    require_columns(tx, _COLUMNS, "the network analysis")
    p2p = pl.col("merchant_id").is_null()
    return (
        tx.filter(pl.col("fraud_scenario_id").is_not_null())
        .group_by("fraud_scenario_id")
        .agg(
            fraud_type=pl.col("fraud_type").cast(pl.String).first(),
            customers=pl.col("customer_id").n_unique(),
            merchants=pl.col("merchant_id").drop_nulls().n_unique(),
            devices=pl.col("device_id").drop_nulls().n_unique(),
            payees=pl.col("counterparty").filter(p2p).n_unique(),
            rows=pl.len(),
        )
        .filter(pl.col("customers") >= min_customers)
        .sort(["customers", "rows", "fraud_scenario_id"], descending=[True, True, False])
    )


def _edges(tx: pl.DataFrame, incidents: pl.Series) -> pl.DataFrame:
    """Customer -> merchant / device / payee edges of the given incidents, with row counts."""
    rows = tx.filter(pl.col("fraud_scenario_id").is_in(incidents.implode())).with_columns(
        source=pl.format("customer:{}", pl.col("customer_id")),
        fraud_type=pl.col("fraud_type").cast(pl.String),
    )
    parts = [
        rows.filter(pl.col("merchant_id").is_not_null()).with_columns(
            target=pl.format("merchant:{}", pl.col("merchant_id"))
        ),
        rows.filter(pl.col("device_id").is_not_null()).with_columns(
            target=pl.format("device:{}", pl.col("device_id"))
        ),
        rows.filter(pl.col("merchant_id").is_null()).with_columns(
            target=pl.format("payee:{}", pl.col("counterparty").cast(pl.String))
        ),
    ]
    cols = ["source", "target", "fraud_type", "fraud_scenario_id"]
    return (
        pl.concat([p.select(cols) for p in parts])
        .group_by(cols)
        .agg(transactions=pl.len())
        .sort(cols)
    )


def spring_layout(
    n: int, source: np.ndarray, target: np.ndarray, *, seed: int = 0, iterations: int = 120
) -> tuple[F64, F64]:
    """Fruchterman-Reingold positions of ``n`` nodes in the unit square for the given edges
    (vectorised; fine up to a few thousand nodes)."""
    if n == 0:
        return np.zeros(0), np.zeros(0)
    rng = np.random.default_rng(seed)
    pos = rng.random((n, 2))
    k = 1.0 / np.sqrt(n)
    temp = 0.1
    for _ in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.maximum(np.linalg.norm(delta, axis=2), 1e-3)
        disp = ((k * k / dist**2)[:, :, None] * delta).sum(axis=1)
        d = pos[source] - pos[target]
        length = np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-3)
        pull = d * (length / k)
        np.add.at(disp, source, -pull)
        np.add.at(disp, target, pull)
        size = np.maximum(np.linalg.norm(disp, axis=1, keepdims=True), 1e-9)
        pos += disp / size * np.minimum(size, temp)
        temp *= 0.97
    pos -= pos.min(axis=0)
    pos /= np.maximum(pos.max(axis=0), 1e-9)
    return pos[:, 0].copy(), pos[:, 1].copy()


def scenario_network(
    tx: pl.DataFrame, *, per_type: int = 4, min_customers: int = 2, seed: int = 0
) -> Network:
    """The parties of the ``per_type`` largest multi-party incidents of each fraud type, laid
    out for drawing, and a summary of all multi-party incidents by fraud type.

    Parameters
    ----------
    tx
        Transactions of a dataset.
    per_type
        Incidents drawn per fraud type.
    min_customers
        The fewest distinct customers of a multi-party incident.
    seed
        Seed of the layout.

    Returns
    -------
    Network
        Nodes with positions, edges and the summary table.
    """
    incidents = multi_party_incidents(tx, min_customers=min_customers)
    summary = (
        incidents.group_by("fraud_type")
        .agg(
            incidents=pl.len(),
            customers_mean=pl.col("customers").mean(),
            customers_max=pl.col("customers").max(),
            merchants=pl.col("merchants").sum(),
            devices=pl.col("devices").sum(),
            payees=pl.col("payees").sum(),
        )
        .sort("fraud_type")
    )
    drawn = incidents.group_by("fraud_type", maintain_order=True).head(per_type)
    edges = _edges(tx, drawn["fraud_scenario_id"])
    keys = pl.concat([edges["source"], edges["target"]]).unique(maintain_order=True)
    index = pl.DataFrame({"key": keys, "i": pl.int_range(keys.len(), eager=True)})
    src = edges.select("source").join(index, left_on="source", right_on="key", how="left")["i"]
    dst = edges.select("target").join(index, left_on="target", right_on="key", how="left")["i"]
    x, y = spring_layout(keys.len(), src.to_numpy(), dst.to_numpy(), seed=seed)
    degree = np.bincount(np.r_[src.to_numpy(), dst.to_numpy()], minlength=keys.len())
    nodes = pl.DataFrame({"key": keys, "x": x, "y": y, "degree": degree}).with_columns(
        kind=pl.col("key").str.split_exact(":", 1).struct.field("field_0"),
        label=pl.col("key").str.splitn(":", 2).struct.field("field_1"),
    )
    return Network(nodes.select("key", "kind", "label", "x", "y", "degree"), edges, summary)
