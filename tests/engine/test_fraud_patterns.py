"""Each of the 15 fraud patterns leaves its documented signature in the generated data, and the
realised fraud rate and pattern mix follow the scenario.

Each test reads the incidents of one pattern from the session's ``small`` dataset, summarises
every incident with Polars expressions and checks the share of incidents showing the signature.
"""

from __future__ import annotations

import functools

import numpy as np
import polars as pl
import pytest

from fraudforge.engine import geo
from fraudforge.engine.fraud.patterns import REGISTRY
from fraudforge.engine.population import MAX_DEVICES, device_ids
from fraudforge.engine.scenario import Scenario
from fraudforge.engine.shard import IndiaWorld, build_world
from fraudforge.engine.taxonomy import DEFAULT_FRAUD_MIX, FRAUD_TYPES
from tests.conftest import Dataset
from tests.helpers import city_dist_km, num, share

ONLINE = ("ecommerce", "mobile_app")
CREDIT_MODES = ("credit_card", "emi", "bnpl")
CARD_MODES = ("debit_card", "credit_card")
INC = "fraud_scenario_id"
SECONDS = pl.col("timestamp").dt.epoch("s")
"""Timestamp as epoch seconds (naive IST)."""


def haversine_km(lat1: pl.Expr, lon1: pl.Expr, lat2: pl.Expr, lon2: pl.Expr) -> pl.Expr:
    """Great-circle distance in km between two points given as expressions (as geo.haversine_km)."""
    p1, p2 = lat1.radians(), lat2.radians()
    a = ((p2 - p1) / 2).sin() ** 2 + p1.cos() * p2.cos() * ((lon2 - lon1).radians() / 2).sin() ** 2
    return 2 * geo.EARTH_RADIUS_KM * a.clip(0.0, 1.0).sqrt().arcsin()


def span_s() -> pl.Expr:
    """Seconds between an incident's first and last row (inside a group-by)."""
    return SECONDS.max() - SECONDS.min()


def fraud_of(small: Dataset, pattern: str) -> pl.DataFrame:
    """The rows of one fraud pattern's incidents that lie wholly inside the period: incidents
    run from up to ``span_days`` before the period to past its end, and those straddling an edge
    show only the rows inside it (the schedule says when each incident started)."""
    return small.transactions.filter(
        (pl.col("fraud_type") == pattern)
        & pl.col(INC).is_in(whole_incidents(small.scenario).implode())
    )


@functools.cache
def whole_incidents(scenario: Scenario) -> pl.Series:
    """Ids of the incidents that start inside the period and end ``span_days`` before its end."""
    world = build_world(scenario.resolved())
    assert isinstance(world, IndiaWorld)
    p = world.schedule.parts
    span = np.array([0.0] + [x.span_days for x in REGISTRY.patterns])[p.pattern] * 86_400
    cal = world.calendar
    t_start, t_end = int(cal.day_start_s[0]), int(cal.day_start_s[-1]) + 86_400
    first = pl.DataFrame({INC: p.scenario, "t0": p.t0}).group_by(INC).agg(pl.col("t0").min())
    last = pl.DataFrame({INC: p.scenario, "end": p.t0 + span}).group_by(INC).agg(pl.max("end"))
    both = first.join(last, on=INC)
    return both.filter((pl.col("t0") >= t_start) & (pl.col("end") < t_end))[INC]


@pytest.fixture(scope="module")
def genuine(small: Dataset) -> pl.DataFrame:
    """The genuine (non-fraud) rows."""
    return small.transactions.filter(~pl.col("is_fraud"))


@pytest.fixture(scope="module")
def genuine_devices(genuine: pl.DataFrame) -> pl.DataFrame:
    """Each customer's devices seen in genuine rows, with the first time each was used."""
    return (
        genuine.filter(pl.col("device_id").is_not_null())
        .group_by("customer_id", "device_id")
        .agg(pl.col("timestamp").min().alias("first_seen"))
    )


@pytest.fixture(scope="module")
def customer_devices(small: Dataset, genuine_devices: pl.DataFrame) -> pl.DataFrame:
    """Every device a customer owns (``n_devices`` of them, and a new phone), used in a
    genuine row, or that a household member (someone living at the same home) owns. Genuine
    rows use the customer's own devices, or a household member's phone."""
    n = small.customers["n_devices"].to_numpy().astype(np.int64)
    ids = small.customers["customer_id"].to_numpy() - 1
    cust = np.repeat(ids, n)
    k = np.arange(cust.size) - np.repeat(np.cumsum(n) - n, n)
    owned = pl.concat(
        [
            pl.DataFrame({"customer_id": cust + 1, "device_id": device_ids(cust, k)}),
            pl.DataFrame({"customer_id": ids + 1, "device_id": device_ids(ids, MAX_DEVICES)}),
        ]
    )
    seen = genuine_devices.select("customer_id", "device_id")
    borrowed = seen.join(owned, on=["customer_id", "device_id"], how="anti")
    homes = small.customers.select("customer_id", "home_lat", "home_lon")
    primary = pl.DataFrame({"owner": ids + 1, "device_id": device_ids(ids, 0)})
    check = (
        borrowed.join(primary, on="device_id", how="left")
        .join(homes, on="customer_id")
        .join(homes.rename({"customer_id": "owner", "home_lat": "o_lat", "home_lon": "o_lon"}),
              on="owner", how="left")
    )  # fmt: skip
    assert check["owner"].null_count() == 0, "a genuine row used a device nobody owns"
    assert (check["home_lat"] == check["o_lat"]).all()
    assert (check["home_lon"] == check["o_lon"]).all()
    assert borrowed.height > 0  # families do share phones
    household = (
        homes.join(homes.rename({"customer_id": "owner"}), on=["home_lat", "home_lon"])
        .join(primary, on="owner")
        .select("customer_id", "device_id")
    )
    return pl.concat([owned, seen, household]).unique()


def with_known_device(rows: pl.DataFrame, customer_devices: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with ``known_device``: the device is one of the customer's own."""
    return rows.join(
        customer_devices.with_columns(pl.lit(True).alias("known_device")),
        on=["customer_id", "device_id"],
        how="left",
    ).with_columns(pl.col("known_device").fill_null(False))


def test_card_cloning_is_far_away_within_an_impossible_travel_time(
    small: Dataset, genuine: pl.DataFrame
) -> None:
    """A cloned card shows up card-present >= 1,000 km from the customer's last payment, too soon
    to have travelled there."""
    rows = fraud_of(small, "card_cloning")
    assert rows[INC].n_unique() >= 50
    first = rows.sort("timestamp").group_by(INC).first()
    prev = genuine.select(
        "customer_id",
        "timestamp",
        pl.col("timestamp").alias("prev_ts"),
        pl.col("lat").alias("prev_lat"),
        pl.col("lon").alias("prev_lon"),
        pl.col("card_id").alias("prev_card"),
    )
    hop = (
        first.sort("timestamp")
        .join_asof(
            prev.sort("timestamp"),
            on="timestamp",
            by="customer_id",
            strategy="backward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
        .with_columns(
            haversine_km(pl.col("prev_lat"), pl.col("prev_lon"), pl.col("lat"), pl.col("lon"))
            .fill_null(0.0)
            .alias("km"),
            ((pl.col("timestamp") - pl.col("prev_ts")).dt.total_seconds() / 3600).alias("hours"),
        )
        .with_columns((pl.col("km") / pl.col("hours")).fill_null(0.0).alias("kmh"))
    )
    # The generator anchors on the customer's latest genuine payment; a handful of anchors are
    # gone from the data (a later bust-out drops the customer's genuine rows), and jitter of shop
    # coordinates can shave a few km off a 1,000 km city pair, so ask for 95%.
    far = hop.select((pl.col("km") >= geo.FAR_KM).mean()).item()
    assert far >= 0.95, f"only {far:.1%} of clones are >= {geo.FAR_KM} km from the last payment"
    # 15 min - 2 h after a payment >= 1,000 km away: faster than any journey (>= 450 km/h door to
    # door); most are faster than an airliner.
    fast = hop.select((pl.col("kmh") > 450).mean()).item()
    assert fast >= 0.95, f"only {fast:.1%} of clones imply > 450 km/h"
    assert num(hop["kmh"].median()) > 900
    # Same physical card as the customer's own card payment just before (when that was by card).
    same_card = hop.filter(pl.col("prev_card").is_not_null()).select(
        (pl.col("card_id") == pl.col("prev_card")).mean()
    )
    assert same_card.item() >= 0.95
    assert rows["card_id"].null_count() == 0
    assert rows["payment_mode"].is_in(CARD_MODES).all()
    # All rows of an incident are in one far city, and purchases at shops there (card-present).
    assert (rows.group_by(INC).agg(pl.col("city").n_unique())["city"] == 1).all()
    pos = share(rows.with_columns((pl.col("channel") == "pos").alias("pos")), "pos")
    assert pos >= 0.9, f"only {pos:.1%} of card-cloning rows are card-present (pos)"


def test_card_testing_micro_payments_then_a_big_purchase(
    small: Dataset, genuine: pl.DataFrame, customer_devices: pl.DataFrame
) -> None:
    """Card testing: >= 5 online micro-payments, many declined, from a new device, then one big
    purchase last."""
    rows = with_known_device(fraud_of(small, "card_testing"), customer_devices)
    per = rows.group_by(INC).agg(
        (pl.col("amount_inr") <= 50).sum().alias("n_micro"),
        pl.col("channel").is_in(ONLINE).all().alias("online"),
        pl.col("known_device").any().alias("known_device"),
        pl.col("device_id").null_count().alias("no_device"),
        pl.col("amount_inr").sort_by("timestamp").last().alias("last_amount"),
        (pl.col("amount_inr") >= 10_000).sum().alias("n_big"),
        span_s().alias("span"),
    )
    assert per.height >= 50
    assert (per["n_micro"] >= 5).all()
    assert (per["n_micro"] <= 12).all()
    assert (per["n_big"] == 1).all()
    assert per["online"].all()
    assert (per["no_device"] == 0).all()
    assert not per["known_device"].any(), "a card-testing device is one of the victim's own"
    assert num(per["span"].max()) <= 2 * 3600
    last_big = share(per.with_columns((pl.col("last_amount") >= 10_000).alias("ok")), "ok")
    assert last_big == 1.0, f"the big purchase comes last in only {last_big:.1%} of incidents"
    micro = rows.filter(pl.col("amount_inr") <= 50)
    declined = share(micro.with_columns((pl.col("status") == "declined").alias("d")), "d")
    base = share(genuine.with_columns((pl.col("status") == "declined").alias("d")), "d")
    assert declined >= 0.25
    assert declined >= 4 * base, f"micro decline share {declined:.1%} vs genuine {base:.1%}"


def test_transaction_replay_copies_a_recent_genuine_payment(
    small: Dataset, genuine: pl.DataFrame
) -> None:
    """Each replayed row duplicates an approved genuine payment of the same customer (payee,
    amount, mode, card, device) that is in the data, made at most 20 minutes earlier."""
    rows = fraud_of(small, "transaction_replay")
    keys = ["customer_id", "counterparty", "merchant_id", "amount_inr", "payment_mode"]
    keys += ["card_id", "device_id", "txn_type"]
    originals = genuine.filter(pl.col("status") == "approved").select(
        *keys, pl.col("timestamp").alias("orig_ts")
    )
    matched = (
        rows.join(originals, on=keys, how="inner", nulls_equal=True)
        .filter(
            (pl.col("orig_ts") < pl.col("timestamp"))
            & (pl.col("timestamp") - pl.col("orig_ts") <= pl.duration(minutes=20))
        )
        .select("transaction_id")
        .unique()
    )
    assert rows.height >= 100
    assert rows["txn_type"].is_in(["purchase", "p2p_transfer", "bill_payment"]).all()
    rows = rows.join(
        matched.with_columns(pl.lit(True).alias("ok")), on="transaction_id", how="left"
    ).with_columns(pl.col("ok").fill_null(False))
    # Bust-out customers' genuine rows after the bust starts are dropped from the data.
    dormant = (
        fraud_of(small, "bust_out")
        .select("customer_id")
        .unique()
        .join(
            genuine.group_by("customer_id").agg(pl.col("timestamp").max().alias("last_genuine")),
            on="customer_id",
            how="left",
        )
        .with_columns(pl.lit(True).alias("busted"))
    )
    rows = rows.join(dormant, on="customer_id", how="left").with_columns(
        (
            pl.col("busted").fill_null(False)
            & (pl.col("timestamp") > pl.col("last_genuine")).fill_null(True)
        ).alias("dormant")
    )
    assert rows.filter(~pl.col("dormant"))["ok"].all()
    # A replay made after a bust-out started can copy a genuine payment that was then dropped.
    orphans = rows.filter(~pl.col("ok")).height
    assert orphans == 0, f"{orphans} replays copy a genuine payment missing from the data"
    sizes = rows.group_by(INC).len()["len"]
    assert sizes.is_between(1, 2).all()


def test_account_takeover_test_transfer_then_large_transfers_from_a_new_device(
    small: Dataset, customer_devices: pl.DataFrame
) -> None:
    """Account takeover: from an unknown device in another city, a <= 10 INR P2P test then P2P
    transfers of >= 10,000 INR, all within an hour."""
    rows = with_known_device(fraud_of(small, "account_takeover"), customer_devices).join(
        small.customers.select("customer_id", "home_city"), on="customer_id"
    )
    assert (rows["txn_type"] == "p2p_transfer").all()
    assert (rows["city"] != rows["home_city"]).all(), "a takeover was run from the home city"
    ordered = rows.sort("timestamp")
    per = ordered.group_by(INC).agg(
        pl.len().alias("n"),
        pl.col("amount_inr").first().alias("first_amount"),
        pl.col("amount_inr").slice(1).min().alias("min_rest"),
        pl.col("known_device").any().alias("known_device"),
        pl.col("device_id").n_unique().alias("n_devices"),
        pl.col("device_id").null_count().alias("no_device"),
        span_s().alias("span"),
    )
    assert per.height >= 50
    assert per["n"].is_between(3, 5).all()
    assert (per["first_amount"] <= 10).all()
    assert (per["min_rest"] >= 10_000).all()
    assert (per["n_devices"] == 1).all()
    assert (per["no_device"] == 0).all()
    assert not per["known_device"].any()
    assert (per["span"] <= 3600).all()


def test_money_mule_collects_credits_then_cashes_out(small: Dataset) -> None:
    """Money mule: >= 4 customers send P2P credits to one mule's VPA; after the last credit the
    mule withdraws at ATMs and forwards the rest, never more than was received."""
    rows = fraud_of(small, "money_mule")
    mules = (
        rows.filter(pl.col("txn_type") == "withdrawal")
        .group_by(INC)
        .agg(
            pl.col("customer_id").n_unique().alias("n_mules"),
            pl.col("customer_id").first().alias("mule"),
        )
    )
    assert (mules["n_mules"] == 1).all()
    vpa = small.customers.select(pl.col("customer_id").alias("mule"), pl.col("vpa").alias("mvpa"))
    tagged = rows.join(mules.join(vpa, on="mule"), on=INC).with_columns(
        (pl.col("customer_id") == pl.col("mule")).alias("by_mule")
    )
    credits = tagged.filter(~pl.col("by_mule"))
    cashout = tagged.filter(pl.col("by_mule"))
    cin = credits.group_by(INC).agg(
        pl.col("customer_id").n_unique().alias("senders"),
        (pl.col("counterparty") == pl.col("mvpa")).all().alias("to_mule"),
        (pl.col("txn_type") == "p2p_transfer").all().alias("p2p"),
        pl.col("amount_inr").sum().alias("received"),
        SECONDS.max().alias("last_credit"),
        span_s().alias("credit_span"),
    )
    out = cashout.group_by(INC).agg(
        (pl.col("txn_type") == "withdrawal").sum().alias("n_atm"),
        (pl.col("channel") == "atm").sum().alias("n_atm_channel"),
        (pl.col("txn_type") == "p2p_transfer").sum().alias("n_forward"),
        pl.col("amount_inr").sum().alias("paid_out"),
        SECONDS.filter(pl.col("txn_type") == "withdrawal").min().alias("first_atm"),
    )
    per = cin.join(out, on=INC, how="full", coalesce=True)
    assert per.height == rows[INC].n_unique()
    assert per.height >= 30
    assert per.null_count().sum_horizontal().item() == 0, "an incident lacks credits or cash-out"
    assert per["to_mule"].all()
    assert per["p2p"].all()
    # Senders are drawn independently, so two of an incident's 4-10 senders can coincide.
    many = share(per.with_columns((pl.col("senders") >= 4).alias("ok")), "ok")
    assert many >= 0.95
    assert per["n_atm"].is_between(2, 4).all()
    assert (per["n_atm_channel"] == per["n_atm"]).all()
    assert (per["n_forward"] == 1).all()
    assert (per["credit_span"] <= 3 * 86_400).all()
    assert (per["first_atm"] > per["last_credit"]).all()
    assert (per["first_atm"] - per["last_credit"] <= 12 * 3600).all()
    assert (per["paid_out"] <= per["received"]).all()


def test_merchant_collusion_round_evening_payments_at_one_merchant(small: Dataset) -> None:
    """Merchant collusion: >= 4 customers pay one small online seller large, near-round card
    amounts late in the evening."""
    rows = fraud_of(small, "merchant_collusion").join(
        small.merchants.select("merchant_id", "is_online", "is_chain"), on="merchant_id"
    )
    # Distance to the next multiple of 5,000 INR (amounts are 10k-75k less 0, 1 or 10 INR).
    below_round = (-pl.col("amount_inr")) % 5_000
    per = rows.group_by(INC).agg(
        pl.col("customer_id").n_unique().alias("customers"),
        pl.col("merchant_id").n_unique().alias("merchants"),
        (pl.col("amount_inr") >= 9_000).all().alias("large"),
        (below_round <= 10).all().alias("round"),
        pl.col("timestamp").dt.hour().is_between(20, 23).all().alias("evening"),
        pl.col("payment_mode").is_in(CARD_MODES).all().alias("card"),
        (pl.col("is_online") & ~pl.col("is_chain")).all().alias("small_online"),
        span_s().alias("span"),
    )
    assert per.height >= 20
    # Parties are drawn independently; a repeat can leave 3 distinct customers.
    many = share(per.with_columns((pl.col("customers") >= 4).alias("ok")), "ok")
    assert many >= 0.95
    assert (per["merchants"] == 1).all()
    assert (per["span"] <= 7 * 86_400).all()
    for column in ("large", "round", "evening", "card", "small_online"):
        assert per[column].all(), column


def test_refund_fraud_refunds_exceed_the_purchase(small: Dataset) -> None:
    """Refund fraud: one online purchase and later refunds from the same merchant that together
    return more than was paid."""
    rows = fraud_of(small, "refund_fraud")
    purchase = pl.col("txn_type") == "purchase"
    refund = pl.col("txn_type") == "refund"
    per = rows.group_by(INC).agg(
        purchase.sum().alias("n_purchase"),
        refund.sum().alias("n_refund"),
        pl.col("merchant_id").n_unique().alias("merchants"),
        pl.col("merchant_id").null_count().alias("no_merchant"),
        pl.col("amount_inr").filter(purchase).sum().alias("paid"),
        pl.col("amount_inr").filter(refund).sum().alias("refunded"),
        SECONDS.filter(purchase).max().alias("t_purchase"),
        SECONDS.filter(refund).min().alias("t_refund"),
        pl.col("channel").is_in(ONLINE).all().alias("online"),
    )
    assert per.height >= 50
    assert (per["n_purchase"] == 1).all()
    assert per["n_refund"].is_between(1, 2).all()
    assert (per["merchants"] == 1).all()
    assert (per["no_merchant"] == 0).all()
    assert (per["refunded"] > per["paid"]).all()
    assert (per["t_refund"] > per["t_purchase"]).all()
    assert per["online"].all()


def test_friendly_fraud_looks_genuine_but_is_labelled_late(
    small: Dataset, genuine_devices: pl.DataFrame, customer_devices: pl.DataFrame
) -> None:
    """Friendly fraud: a single online purchase from home on the customer's own, known device,
    whose label arrives with the chargeback weeks later than other fraud's."""
    tx = small.transactions.with_columns(
        ((pl.col("label_known_at") - pl.col("timestamp")).dt.total_seconds() / 86_400).alias(
            "delay_days"
        )
    )
    rows = (
        with_known_device(tx.filter(pl.col("fraud_type") == "friendly_fraud"), customer_devices)
        .join(small.customers.select("customer_id", "home_city"), on="customer_id")
        .join(genuine_devices, on=["customer_id", "device_id"], how="left")
    )
    assert rows.height >= 100
    assert rows[INC].is_unique().all()
    assert (rows["txn_type"] == "purchase").all()
    assert rows["channel"].is_in(ONLINE).all()
    assert (rows["city"] == rows["home_city"]).all()
    assert rows["known_device"].all(), "friendly fraud used a device the customer does not own"
    # The customer's main device makes 85% of device payments, so it has nearly always been used
    # in a genuine payment before; the exceptions are a rarely used second device or a purchase
    # early in the period.
    earlier = share(
        rows.with_columns((pl.col("first_seen") < pl.col("timestamp")).alias("ok")), "ok"
    )
    assert earlier >= 0.9
    other = tx.filter(pl.col("is_fraud") & (pl.col("fraud_type") != "friendly_fraud"))
    mean_friendly = num(rows["delay_days"].mean())
    mean_other = num(other["delay_days"].mean())
    assert mean_friendly >= 30
    assert mean_friendly >= 3 * mean_other, f"{mean_friendly:.1f} vs {mean_other:.1f} days"
    late = share(rows.with_columns((pl.col("delay_days") >= 10).alias("ok")), "ok")
    assert late >= 0.95


def test_stolen_card_quick_card_present_spree_then_atm(small: Dataset) -> None:
    """Stolen card: 2-5 card-present purchases in the home city within about two hours, often
    followed by an ATM withdrawal on the (debit) card."""
    rows = fraud_of(small, "stolen_card").join(
        small.customers.select("customer_id", "home_city"), on="customer_id"
    )
    buy = pl.col("txn_type") == "purchase"
    atm = pl.col("txn_type") == "withdrawal"
    per = rows.group_by(INC).agg(
        buy.sum().alias("n_buy"),
        atm.sum().alias("n_atm"),
        pl.col("card_id").null_count().alias("no_card"),
        span_s().alias("span"),
        pl.col("txn_type").sort_by("timestamp").last().alias("last_type"),
        (pl.col("city") == pl.col("home_city")).all().alias("home"),
        pl.col("card_id").n_unique().alias("cards"),
        pl.col("payment_mode").filter(atm).first().alias("atm_mode"),
        pl.col("channel").filter(atm).first().alias("atm_channel"),
    )
    assert per.height >= 50
    assert per["n_buy"].is_between(2, 5).all()
    assert per["n_atm"].is_between(0, 1).all()
    assert (per["no_card"] == 0).all()
    assert (per["span"] <= int(2.5 * 3600)).all()
    assert per["home"].all()
    with_atm = per.filter(pl.col("n_atm") == 1)
    assert 0.3 <= with_atm.height / per.height <= 0.7
    assert (with_atm["atm_mode"] == "debit_card").all()
    assert (with_atm["atm_channel"] == "atm").all()
    # The withdrawal ends the spree.
    atm_last = share(with_atm.with_columns((pl.col("last_type") == "withdrawal").alias("ok")), "ok")
    assert atm_last == 1.0, f"the ATM withdrawal is last in only {atm_last:.1%} of incidents"
    purchases = rows.filter(buy)
    assert purchases["payment_mode"].is_in(CARD_MODES).all()
    problems: list[str] = []
    # The withdrawal is made with the stolen (debit) card itself.
    one_card = share(with_atm.with_columns((pl.col("cards") == 1).alias("ok")), "ok")
    if one_card < 1.0:
        problems.append(f"the ATM uses the stolen card in only {one_card:.1%} of incidents")
    present = share(purchases.with_columns((pl.col("channel") == "pos").alias("ok")), "ok")
    if present < 0.9:
        problems.append(f"only {present:.1%} of stolen-card purchases are card-present (pos)")
    assert not problems, "; ".join(problems)


def test_synthetic_identity_builds_history_then_busts_out_on_credit(
    small: Dataset, genuine: pl.DataFrame
) -> None:
    """Synthetic identity: an account with no genuine activity makes small payments, then >= 3
    large credit / EMI / BNPL purchases, all from one device."""
    rows = fraud_of(small, "synthetic_identity")
    customers = rows.select("customer_id").unique()
    assert customers.height >= 20
    assert customers.join(genuine, on="customer_id", how="semi").height == 0
    big = (pl.col("amount_inr") > 5_000) & pl.col("payment_mode").is_in(CREDIT_MODES)
    ordered = rows.sort("timestamp")
    per = ordered.group_by(INC).agg(
        pl.col("customer_id").n_unique().alias("customers"),
        pl.col("device_id").n_unique().alias("devices"),
        pl.col("device_id").null_count().alias("no_device"),
        big.sum().alias("n_big"),
        # Rows before the first large credit purchase: the build-up.
        pl.col("amount_inr").slice(0, big.arg_max()).max().alias("max_build"),
        big.arg_max().alias("n_build"),
        (pl.col("amount_inr") > 5_000).sum().alias("n_over_5k"),
    )
    assert (per["customers"] == 1).all()
    assert (per["devices"] == 1).all()
    assert (per["no_device"] == 0).all()
    assert per["n_build"].is_between(5, 10).all()
    assert (per["max_build"] < 5_000).all()
    # Bust-out amounts are log-normal around 25k: rarely one of 3 falls below 5k.
    busts = share(per.with_columns((pl.col("n_big") >= 3).alias("ok")), "ok")
    assert busts >= 0.9
    assert (per["n_big"] == per["n_over_5k"]).all(), "a large purchase was not on credit"


def test_bust_out_maxes_credit_then_goes_dormant(small: Dataset, genuine: pl.DataFrame) -> None:
    """Bust-out: 4-8 large credit card / EMI / BNPL purchases within 3 days, after which the
    customer has no genuine activity."""
    rows = fraud_of(small, "bust_out")
    per = rows.group_by(INC).agg(
        pl.len().alias("n"),
        pl.col("customer_id").first().alias("customer_id"),
        pl.col("timestamp").min().alias("start"),
        span_s().alias("span"),
        pl.col("amount_inr").median().alias("median_amount"),
    )
    assert per.height >= 30
    assert per["n"].is_between(4, 8).all()
    assert (per["span"] <= 3 * 86_400).all()
    # Amounts are log-normal around 30k x the customer's amount scale (0.45 for students), so a
    # rare incident of a low-spending customer stays below 5k.
    usual = (
        genuine.filter((pl.col("txn_type") == "purchase") & ~pl.col("is_anomaly"))
        .group_by("customer_id")
        .agg(pl.col("amount_inr").median().alias("usual"))
    )
    per = per.join(usual, on="customer_id", how="left").with_columns(
        (pl.col("median_amount") >= 5_000).alias("large"),
        (pl.col("median_amount") >= 5 * pl.col("usual")).alias("unusual"),
    )
    assert share(per, "large") >= 0.95
    assert num(per["median_amount"].median()) >= 20_000
    # Relative to the customer's own median purchase (missing if the bust starts very early).
    assert share(per.filter(pl.col("usual").is_not_null()), "unusual") >= 0.9
    start = per.group_by("customer_id").agg(pl.col("start").min())
    after = genuine.join(start, on="customer_id").filter(pl.col("timestamp") >= pl.col("start"))
    assert after.height == 0, f"{after.height} genuine rows after a bust-out started"
    # A genuine history before the bust (the earliest busts start a day into the period).
    history = genuine.join(start, on="customer_id", how="semi").select("customer_id").unique()
    assert history.height >= 0.9 * start.height
    credit = share(rows.with_columns(pl.col("payment_mode").is_in(CREDIT_MODES).alias("ok")), "ok")
    assert credit == 1.0, f"only {credit:.1%} of bust-out rows use credit, EMI or BNPL"


def test_velocity_abuse_burst_from_a_new_device(
    small: Dataset, customer_devices: pl.DataFrame
) -> None:
    """Velocity abuse: >= 8 online payments within an hour from a device the customer never uses."""
    rows = with_known_device(fraud_of(small, "velocity_abuse"), customer_devices)
    per = rows.group_by(INC).agg(
        pl.len().alias("n"),
        span_s().alias("span"),
        pl.col("known_device").any().alias("known"),
        pl.col("device_id").n_unique().alias("devices"),
        pl.col("device_id").null_count().alias("no_device"),
        pl.col("channel").is_in(ONLINE).all().alias("online"),
        pl.col("amount_inr").is_between(500, 8_000).all().alias("moderate"),
    )
    assert per.height >= 30
    assert per["n"].is_between(8, 16).all()
    assert (per["span"] <= 3600).all()
    assert not per["known"].any()
    assert (per["devices"] == 1).all()
    assert (per["no_device"] == 0).all()
    assert per["online"].all()
    assert per["moderate"].all()


def test_amount_manipulation_stays_just_below_thresholds(small: Dataset) -> None:
    """Structuring: 3-6 payments within two days, each within 2% below 10k, 50k, 1 lakh or
    2 lakh INR."""
    rows = fraud_of(small, "amount_manipulation")
    amount = pl.col("amount_inr")
    just_below = pl.any_horizontal(
        [(amount < t) & (amount >= 0.98 * t) for t in (10_000, 50_000, 100_000, 200_000)]
    )
    per = rows.group_by(INC).agg(
        pl.len().alias("n"),
        just_below.all().alias("below"),
        span_s().alias("span"),
    )
    assert per.height >= 50
    assert per["n"].is_between(3, 6).all()
    assert per["below"].all()
    assert (per["span"] <= 2 * 86_400).all()


def test_shipping_fraud_ships_far_from_home_from_a_new_device(
    small: Dataset, customer_devices: pl.DataFrame
) -> None:
    """Shipping fraud: 1-3 online orders placed from a new device in a city >= 1,000 km from the
    customer's home."""
    rows = with_known_device(fraud_of(small, "shipping_fraud"), customer_devices).join(
        small.customers.select("customer_id", "home_city", "home_lat", "home_lon"),
        on="customer_id",
    )
    rows = rows.with_columns(
        city_dist_km(rows["city"], rows["home_city"]),
        haversine_km(pl.col("home_lat"), pl.col("home_lon"), pl.col("lat"), pl.col("lon")).alias(
            "km"
        ),
    )
    assert rows.height >= 100
    assert rows["channel"].is_in(ONLINE).all()
    assert (rows["dist_km"] >= geo.FAR_KM).all()
    # Home and payment points are jittered a few km around their city centres.
    assert (rows["km"] >= 0.95 * geo.FAR_KM).all()
    assert not rows["known_device"].any()
    assert rows["device_id"].null_count() == 0
    sizes = rows.group_by(INC).len()["len"]
    assert sizes.is_between(1, 3).all()


def test_loyalty_abuse_ring_shares_one_device_at_one_merchant(
    small: Dataset, customer_devices: pl.DataFrame
) -> None:
    """Loyalty abuse: >= 3 accounts place small orders (49-299 INR) at one chain merchant from one
    shared device."""
    rows = with_known_device(fraud_of(small, "loyalty_abuse"), customer_devices).join(
        small.merchants.select("merchant_id", "is_chain"), on="merchant_id", how="left"
    )
    per = rows.group_by(INC).agg(
        pl.col("customer_id").n_unique().alias("customers"),
        pl.col("device_id").n_unique().alias("devices"),
        pl.col("device_id").null_count().alias("no_device"),
        pl.col("merchant_id").n_unique().alias("merchants"),
        pl.col("merchant_id").null_count().alias("no_merchant"),
        pl.col("amount_inr").is_between(49, 299).all().alias("small"),
        pl.col("known_device").any().alias("known"),
        pl.col("is_chain").all().alias("chain"),
    )
    assert per.height >= 10
    # A ring's 3-6 accounts are drawn independently, so rarely one account is drawn twice.
    ring = share(per.with_columns((pl.col("customers") >= 3).alias("ok")), "ok")
    assert ring >= 0.95
    assert (per["customers"] >= 2).all()
    assert (per["devices"] == 1).all()
    assert (per["no_device"] == 0).all()
    assert (per["merchants"] == 1).all()
    assert (per["no_merchant"] == 0).all()
    assert per["small"].all()
    assert not per["known"].any()
    # A ring's device may farm other rings over the weeks (the fraudster's phone), but no
    # genuine row and no other pattern uses it.
    ring_devices = rows["device_id"].unique().implode()
    others = small.transactions.filter(
        pl.col("device_id").is_in(ring_devices) & (pl.col("fraud_type") != "loyalty_abuse")
    )
    assert others.height == 0
    chain = share(per, "chain")
    assert chain == 1.0, f"only {chain:.1%} of loyalty-abuse merchants are chains"


def test_fraud_rate_and_pattern_mix_follow_the_scenario(small: Dataset) -> None:
    """The share of fraud rows is the scenario's fraud rate, and each pattern's share of the fraud
    rows is its default mix weight."""
    tx = small.transactions
    rate, expected_rate = num(tx["is_fraud"].mean()), small.scenario.resolved().fraud_rate
    assert abs(rate - expected_rate) <= 0.15 * expected_rate, f"fraud rate {rate:.4f}"
    assert (tx["is_fraud"] == (tx["fraud_type"] != "none")).all()
    assert (tx["is_fraud"] == tx[INC].is_not_null()).all()
    # An incident id belongs to exactly one pattern.
    assert (
        tx.filter(pl.col("is_fraud"))
        .group_by(INC)
        .agg(pl.col("fraud_type").n_unique())["fraud_type"]
        == 1
    ).all()
    counts = dict(
        tx.filter(pl.col("is_fraud"))
        .group_by("fraud_type")
        .len()
        .select(pl.col("fraud_type").cast(pl.String), "len")
        .iter_rows()
    )
    total = sum(counts.values())
    assert set(counts) == set(FRAUD_TYPES)
    for name in FRAUD_TYPES:
        realised = counts[name] / total
        expected = DEFAULT_FRAUD_MIX[name]
        assert abs(realised - expected) <= 0.4 * expected, f"{name}: {realised:.3f} vs {expected}"
