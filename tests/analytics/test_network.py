"""The multi-party network: which incidents, which parties and links, and the layout."""

from __future__ import annotations

import numpy as np
import polars as pl

from fraudforge.analytics import network
from tests.analytics.conftest import Scored
from tests.analytics.frames import transactions

FRAUD = {"is_fraud": True}
TX = transactions(
    {**FRAUD, "fraud_type": "merchant_collusion", "fraud_scenario_id": 1, "customer_id": 1,
     "merchant_id": 50, "device_id": 900},
    {**FRAUD, "fraud_type": "merchant_collusion", "fraud_scenario_id": 1, "customer_id": 2,
     "merchant_id": 50},
    {**FRAUD, "fraud_type": "money_mule", "fraud_scenario_id": 2, "customer_id": 3,
     "merchant_id": None, "counterparty": "mule@upi"},
    {**FRAUD, "fraud_type": "money_mule", "fraud_scenario_id": 2, "customer_id": 4,
     "merchant_id": None, "counterparty": "mule@upi", "device_id": 901},
    {**FRAUD, "fraud_type": "stolen_card", "fraud_scenario_id": 3, "customer_id": 5},
    {"customer_id": 6},
)  # fmt: skip


def test_multi_party_incidents_need_two_customers() -> None:
    """The single-customer incident and genuine rows are left out."""
    out = network.multi_party_incidents(TX)
    assert out.select("fraud_scenario_id", "fraud_type", "customers", "merchants", "devices",
                      "payees", "rows").rows() == [
        (1, "merchant_collusion", 2, 1, 1, 0, 2),
        (2, "money_mule", 2, 0, 1, 1, 2),
    ]  # fmt: skip


def test_network_nodes_and_edges() -> None:
    """Customers link to the merchant, devices and payee account they used."""
    net = network.scenario_network(TX)
    assert sorted(net.edges.select("source", "target").rows()) == [
        ("customer:1", "device:900"),
        ("customer:1", "merchant:50"),
        ("customer:2", "merchant:50"),
        ("customer:3", "payee:mule@upi"),
        ("customer:4", "device:901"),
        ("customer:4", "payee:mule@upi"),
    ]
    nodes = {k: (kind, d) for k, kind, d in net.nodes.select("key", "kind", "degree").rows()}
    assert nodes["merchant:50"] == ("merchant", 2)
    assert nodes["payee:mule@upi"] == ("payee", 2)
    assert nodes["customer:4"] == ("customer", 2)
    assert len(nodes) == 8
    assert net.nodes.filter(pl.col("key") == "payee:mule@upi")["label"].item() == "mule@upi"
    assert net.summary["incidents"].to_list() == [1, 1]


def test_layout_is_deterministic_and_normalised() -> None:
    """The same seed gives the same positions, inside the unit square; linked nodes sit
    closer together than unlinked ones on average."""
    a = network.scenario_network(TX, seed=3).nodes
    b = network.scenario_network(TX, seed=3).nodes
    assert a.equals(b)
    assert a["x"].min() == 0.0
    assert a["x"].max() == 1.0
    x, y = network.spring_layout(4, np.array([0, 2]), np.array([1, 3]), seed=0)
    near = np.hypot(x[0] - x[1], y[0] - y[1]) + np.hypot(x[2] - x[3], y[2] - y[3])
    far = np.hypot(x[0] - x[2], y[0] - y[2]) + np.hypot(x[1] - x[3], y[1] - y[3])
    assert near < far


def test_no_multi_party_incidents() -> None:
    """Without fraud the network is empty, not an error."""
    net = network.scenario_network(transactions({}, {"customer_id": 2}))
    assert net.nodes.height == 0
    assert net.edges.height == 0
    assert net.summary.height == 0


def test_generated_data_has_rings_and_mules(scored: Scored) -> None:
    """On generated data, collusion, mule and loyalty incidents each involve several customers,
    and mule incidents pay P2P payee accounts."""
    out = network.multi_party_incidents(scored.transactions)
    types = set(out["fraud_type"].to_list())
    assert {"merchant_collusion", "money_mule", "loyalty_abuse"} <= types
    mules = out.filter(pl.col("fraud_type") == "money_mule")
    assert (mules["payees"] >= 1).all()
    net = network.scenario_network(scored.transactions, per_type=2)
    assert net.nodes["kind"].unique().sort().to_list() == ["customer", "device", "merchant",
                                                           "payee"]  # fmt: skip
    assert net.edges["fraud_scenario_id"].n_unique() <= 2 * len(types)
