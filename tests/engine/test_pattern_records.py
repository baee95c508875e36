"""One record per fraud pattern: every table of the engine derives from the records, and a
pattern's data depends only on its own record and random streams, never on which other patterns
exist."""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import polars as pl
import pytest

from fraudforge.engine import market as mkt
from fraudforge.engine.context import ShardContext
from fraudforge.engine.fraud import patterns
from fraudforge.engine.fraud.build import expand, label, make_rows
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.patterns import REGISTRY
from fraudforge.engine.fraud.record import FraudPattern, Registry
from fraudforge.engine.population import device_ids
from fraudforge.engine.rows import FIELDS, Rows
from fraudforge.engine.scenario import ResolvedScenario, Scenario
from fraudforge.engine.shard import IndiaWorld
from fraudforge.engine.taxonomy import DEFAULT_FRAUD_MIX, FRAUD_LABELS, FRAUD_TYPES
from fraudforge.engine.volume import customers_for_rows
from tests.conftest import Dataset
from tests.helpers import fresh_fingerprint


def test_one_module_per_pattern_and_the_tables_derive_from_the_records() -> None:
    """Each module of the patterns package holds the record of the pattern it is named after;
    label codes run 1..N in code order, and the mix is the records' weights."""
    folder = Path(patterns.__file__).parent
    modules = sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))
    assert sorted(REGISTRY.names) == modules
    assert [FRAUD_LABELS.index(p.name) for p in REGISTRY.patterns] == [
        p.code for p in REGISTRY.patterns
    ]
    assert REGISTRY.names == FRAUD_TYPES
    total = sum(p.weight for p in REGISTRY.patterns)
    assert pytest.approx({p.name: p.weight / total for p in REGISTRY.patterns}) == DEFAULT_FRAUD_MIX
    assert all(p.description.strip() and p.targets for p in REGISTRY.patterns)


def test_released_codes_never_move() -> None:
    """A pattern's code is its label code in every dataset already written: these never change
    (a new pattern takes the next free code)."""
    released = {
        "card_cloning": 1,
        "account_takeover": 2,
        "merchant_collusion": 3,
        "velocity_abuse": 4,
        "amount_manipulation": 5,
        "refund_fraud": 6,
        "stolen_card": 7,
        "synthetic_identity": 8,
        "bust_out": 9,
        "friendly_fraud": 10,
        "transaction_replay": 11,
        "card_testing": 12,
        "money_mule": 13,
        "shipping_fraud": 14,
        "loyalty_abuse": 15,
    }
    assert {p.name: p.code for p in REGISTRY.patterns if p.name in released} == released


def _gift_card(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """A test pattern: one online gift-card purchase at the incident's start."""
    part, _ = expand(np.ones(len(parts), dtype=np.int64))
    rows = make_rows(
        ctx,
        cust=parts.cust,
        ts=parts.t0,
        amount=ctx.rng.uniform(500, 5_000, len(parts)),
        mode=np.full(len(parts), mkt.MODE["upi"]),
        category=np.full(len(parts), mkt.CAT["digital_goods"]),
        online=np.ones(len(parts), dtype=bool),
    )
    return label(ctx, rows, parts, part)


GIFT_CARD = FraudPattern(
    name="gift_card",
    code=99,
    description="A test pattern.",
    weight=0.1,
    mean_rows=1.0,
    targets="anyone",
    build=_gift_card,
)


def _rows(s: ResolvedScenario, registry: Registry) -> list[Rows]:
    world = IndiaWorld.build(s, registry)
    return [world.rows(i) for i in range(s.n_shards)]


def _same(a: Rows, b: Rows) -> None:
    assert len(a) == len(b)
    for k in FIELDS:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.fixture(scope="module")
def scenario() -> ResolvedScenario:
    """A small scenario with plenty of fraud of every pattern."""
    return Scenario(customers=700, shard_size=256, days=45, fraud_rate=0.08, seed=5).resolved()


def test_adding_or_dropping_a_pattern_leaves_the_others_rows_unchanged(
    scenario: ResolvedScenario,
) -> None:
    """A new pattern (its own code, its own share) or one pattern fewer changes no row of any
    other pattern, nor any genuine row."""
    base = _rows(scenario, REGISTRY)
    more_mix = {**scenario.fraud_mix, "gift_card": 0.1}
    more = _rows(msgspec.structs.replace(scenario, fraud_mix=more_mix), REGISTRY.with_(GIFT_CARD))
    fewer = _rows(scenario, REGISTRY.without("loyalty_abuse"))
    loyalty = REGISTRY.by_name("loyalty_abuse").code
    added = 0
    for b, m, f in zip(base, more, fewer, strict=True):
        is_gift = m["fraud"] == GIFT_CARD.code
        added += int(is_gift.sum())
        _same(b, m.take(~is_gift))
        _same(b.take(b["fraud"] != loyalty), f)
    assert added > 0
    assert sum(int((b["fraud"] == loyalty).sum()) for b in base) > 0


def test_registry_refuses_clashing_codes_and_names() -> None:
    """Two patterns may share neither a code nor a name."""
    twin = FraudPattern(**{**GIFT_CARD.__dict__, "code": REGISTRY.patterns[0].code})
    with pytest.raises(ValueError, match="share a code"):
        REGISTRY.with_(twin)
    with pytest.raises(ValueError, match="share a name"):
        REGISTRY.with_(GIFT_CARD, FraudPattern(**{**GIFT_CARD.__dict__, "code": 98}))
    with pytest.raises(ValueError, match="code 0 outside"):
        FraudPattern(**{**GIFT_CARD.__dict__, "code": 0})


def test_sizing_counts_the_accounts_patterns_take() -> None:
    """Fabricated identities add customer slots and dormant accounts lose genuine rows: without
    those patterns in the mix, fewer customers make the same rows."""
    import datetime as dt

    start, mix = dt.date(2025, 9, 1), dict(DEFAULT_FRAUD_MIX)
    with_them = customers_for_rows(1_000_000, start, 90, 0.05, mix)
    without = customers_for_rows(
        1_000_000, start, 90, 0.05, {**mix, "synthetic_identity": 0.0, "bust_out": 0.0}
    )
    assert with_them > without


def test_fraudsters_devices_come_from_the_customers_device_space(small: Dataset) -> None:
    """Every device id, on genuine and fraud rows alike, is some customer's device slot:
    ``device_ids(customer, slot)`` for a slot of the customers' device space, or a fingerprint
    seen once (of the same space, under an owner number no customer has); fraudster devices
    serve several incidents."""
    n = small.scenario.resolved().customers
    cust = np.repeat(np.arange(n), 16)
    space = device_ids(cust, np.tile(np.arange(16), n))
    tx = small.transactions.filter(pl.col("device_id").is_not_null())
    fresh = fresh_fingerprint(tx)
    assert fresh.any()
    assert (tx.filter(fresh)["channel"] == "ecommerce").all()
    seen = tx.filter(~fresh)["device_id"].unique().to_numpy()
    assert np.isin(seen, space).all()
    fraud = small.transactions.filter(
        pl.col("fraud_type").is_in(["card_testing", "velocity_abuse", "account_takeover"])
    )
    per_device = fraud.group_by("device_id").agg(pl.col("fraud_scenario_id").n_unique())
    assert int(per_device["fraud_scenario_id"].to_numpy().max()) > 1  # reused across incidents
