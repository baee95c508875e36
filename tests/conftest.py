"""Shared fixtures: small generated datasets, built once per test session."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pytest

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.shard import merchants_table
from fraudforge.engine.streaming import scan, scan_customers


@dataclass(frozen=True)
class Dataset:
    """A generated scenario's three tables."""

    scenario: Scenario
    transactions: pl.DataFrame
    customers: pl.DataFrame
    merchants: pl.DataFrame


SMALL = Scenario(
    customers=3_000, days=60, fraud_rate=0.05, anomaly_rate=0.04, seed=7, camouflage=0.0
)
"""Big enough that every pattern has dozens of incidents, small enough to build in seconds;
without camouflage, so every pattern shows its mechanism's signature as built (the dial has its
own tests)."""


@pytest.fixture(scope="session")
def small() -> Dataset:
    """The SMALL scenario's tables (india preset, raised fraud rate)."""
    s = SMALL.resolved()
    return Dataset(
        scenario=SMALL,
        transactions=scan(SMALL).collect(),
        customers=scan_customers(SMALL).collect(),
        merchants=merchants_table(s),
    )
