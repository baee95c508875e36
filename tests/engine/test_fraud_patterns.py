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
from tests.helpers import city_dist_km, fresh_fingerprint, num, share

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
    by_code = np.zeros(max(x.code for x in REGISTRY.patterns) + 1)
    by_code[[x.code for x in REGISTRY.patterns]] = [x.span_days for x in REGISTRY.patterns]
    span = by_code[p.pattern] * 86_400
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
    # Web checkouts from a fingerprint seen once are no one's device
    # (legit.FRESH_FINGERPRINT_SHARE).
    web = small.transactions.filter(
        ~pl.col("is_fraud") & (pl.col("channel") == "ecommerce") & pl.col("device_id").is_not_null()
    )
    fresh = web.filter(fresh_fingerprint(web))
    assert 0.05 < fresh.height / web.height < 0.15
    borrowed = seen.join(owned, on=["customer_id", "device_id"], how="anti").join(
        fresh.select("customer_id", "device_id"), on=["customer_id", "device_id"], how="anti"
    )
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
    # Same physical card as the customer's own card payment just before (when that was by card;
    # a dozen or so clones here, and another pattern's row on the customer's other card can
    # come between, so one miss is allowed).
    by_card = hop.filter(pl.col("prev_card").is_not_null())
    misses = by_card.filter(pl.col("card_id") != pl.col("prev_card")).height
    assert misses <= max(1, by_card.height // 20), f"{misses} of {by_card.height} on another card"
    assert rows["card_id"].null_count() == 0
    assert rows["payment_mode"].is_in(CARD_MODES).all()
    # All rows of an incident are in one far city, and purchases at shops there (card-present).
    assert (rows.group_by(INC).agg(pl.col("city").n_unique())["city"] == 1).all()
    present = pl.col("channel").is_in(["pos", "atm"])
    pos = share(rows.with_columns(present.alias("pos")), "pos")
    assert pos >= 0.9, f"only {pos:.1%} of card-cloning rows are card-present (pos or atm)"
    # A cloned debit card is mostly emptied at ATMs, in amounts ATMs pay out.
    cash = rows.filter(pl.col("txn_type") == "withdrawal")
    debit = rows.filter(pl.col("payment_mode") == "debit_card")
    assert cash.height >= 0.5 * debit.height
    assert (cash["payment_mode"] == "debit_card").all()
    # Genuine withdrawals are multiples of INR 100 up to 20,000.
    assert (cash["amount_inr"] % 100 == 0).all()
    assert cash["amount_inr"].is_between(100, 20_000).all()


def test_card_testing_many_cards_at_one_merchant_then_a_later_purchase(
    small: Dataset, genuine: pl.DataFrame, customer_devices: pl.DataFrame
) -> None:
    """Card testing: one run puts >= 5 cards of different customers through one online merchant
    within about an hour, each from its own device that no victim owns (the script rotates
    fingerprints), with small amounts and many declines; some live cards are spent later at other
    merchants, larger."""
    rows = with_known_device(fraud_of(small, "card_testing"), customer_devices)
    run = rows.group_by(INC).agg(pl.col("merchant_id").mode().first().alias("tested"))
    rows = rows.join(run, on=INC).with_columns(
        (pl.col("merchant_id") == pl.col("tested")).alias("test")
    )
    tests = rows.filter(pl.col("test"))
    per = tests.group_by(INC).agg(
        pl.col("customer_id").n_unique().alias("cards"),
        pl.col("device_id").n_unique().alias("devices"),
        pl.col("device_id").null_count().alias("no_device"),
        pl.col("known_device").any().alias("known_device"),
        pl.col("channel").is_in(ONLINE).all().alias("online"),
        pl.col("payment_mode").is_in(CARD_MODES).all().alias("card"),
        span_s().alias("span"),
    )
    assert per.height >= 10
    assert (per["cards"] >= 5).all()
    assert (per["devices"] == per["cards"]).all()
    assert (per["no_device"] == 0).all()
    assert not per["known_device"].any(), "a card-testing device is one of a victim's own"
    shared = tests.group_by("device_id").agg(pl.col("customer_id").n_unique().alias("n"))
    assert (shared["n"] == 1).all(), "a card-testing device used for two cards"
    assert per["online"].all()
    assert per["card"].all()
    assert num(per["span"].max()) <= 2 * 3600
    declined = share(tests.with_columns((pl.col("status") == "declined").alias("d")), "d")
    base = share(genuine.with_columns((pl.col("status") == "declined").alias("d")), "d")
    assert declined >= 0.4
    assert declined >= 4 * base, f"test decline share {declined:.1%} vs genuine {base:.1%}"
    # Test amounts are the cheap end of what the merchant sells.
    assert num(tests["amount_inr"].quantile(0.9)) <= 1_000
    # Cash-outs: later, at another merchant, larger than the card's tests.
    cash = rows.filter(~pl.col("test"))
    assert cash.height >= 10
    first_test = tests.group_by(INC, "customer_id").agg(
        pl.col("timestamp").max().alias("tested_at"), pl.col("amount_inr").max().alias("tmax")
    )
    cash = cash.join(first_test, on=[INC, "customer_id"])
    assert (cash["timestamp"] > cash["tested_at"]).all()
    assert (
        share(cash.with_columns((pl.col("amount_inr") > pl.col("tmax")).alias("ok")), "ok") >= 0.9
    )


def test_transaction_replay_copies_a_recent_genuine_payment(
    small: Dataset, genuine: pl.DataFrame
) -> None:
    """Each replayed row duplicates an approved genuine payment of the same customer (payee,
    amount, mode, card, device) that is in the data, made ten minutes to five days earlier
    (copies a few hours or more later come at the hours the fraudster works): later than
    accidental double payments, which follow within minutes."""
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
            & (pl.col("timestamp") - pl.col("orig_ts") >= pl.duration(minutes=10))
            & (pl.col("timestamp") - pl.col("orig_ts") <= pl.duration(days=5))
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


def test_account_takeover_drains_the_account_within_upi_limits(
    small: Dataset, customer_devices: pl.DataFrame
) -> None:
    """Account takeover: 2-4 P2P transfers within an hour, by UPI from the victim's own phone at
    home (remote access) or from a new device in another city, or by net banking from the
    fraudster's device elsewhere; an INR 1 check to the first payee in about a quarter of them
    (never another tiny amount); the limits hold: approved transfers of an incident stay within
    INR 1 lakh (UPI's daily limit, a new beneficiary's first days), and within INR 5,000 on a
    new UPI device's first day."""
    rows = with_known_device(fraud_of(small, "account_takeover"), customer_devices).join(
        small.customers.select("customer_id", "home_city"), on="customer_id"
    )
    assert (rows["txn_type"] == "p2p_transfer").all()
    assert rows["payment_mode"].is_in(["upi", "net_banking"]).all()
    per = (
        rows.sort("timestamp")
        .group_by(INC)
        .agg(
            pl.len().alias("n"),
            (pl.col("payment_mode") == "net_banking").all().alias("banking"),
            pl.col("payment_mode").n_unique().alias("n_modes"),
            (pl.col("amount_inr") == 1).sum().alias("checks"),
            (pl.col("amount_inr") <= 10).sum().alias("tiny"),
            pl.col("known_device").all().alias("own"),
            pl.col("known_device").any().alias("any_own"),
            (pl.col("city") == pl.col("home_city")).all().alias("home"),
            pl.col("device_id").n_unique().alias("n_devices"),
            pl.col("amount_inr").filter(pl.col("status") == "approved").sum().alias("approved"),
            span_s().alias("span"),
        )
    )
    assert per.height >= 50
    assert per["n"].is_between(2, 5).all()
    assert (per["tiny"] == per["checks"]).all(), "a tiny transfer other than an INR 1 check"
    assert 0.1 <= num((per["checks"] > 0).mean()) <= 0.4
    # Either the victim's own phone at home, or a stranger's device elsewhere.
    remote = per.filter(pl.col("own"))
    stolen = per.filter(~pl.col("any_own"))
    assert remote.height + stolen.height == per.height
    assert remote["home"].all()
    assert not stolen["home"].any()
    assert (stolen["n_devices"] == 1).all()
    assert (per["n_modes"] == 1).all()
    assert not remote["banking"].any(), "net banking runs from the fraudster's own device"
    assert 0.1 <= num(per["banking"].mean()) <= 0.4
    assert 0.4 <= stolen.height / per.height <= 0.7
    assert (per["span"] <= 2 * 3600).all()
    assert (per["approved"] <= 100_000).all()
    assert (stolen.filter(~pl.col("banking"))["approved"] <= 5_000).all()
    declined = share(rows.with_columns((pl.col("status") == "declined").alias("d")), "d")
    assert 0.1 <= declined <= 0.8


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
    # within hours of the last credit, in daylight: up to 12 hours after it, and a time that
    # falls before 06:00 waits for 06:00-08:00 (a credit at noon: up to 20 hours)
    assert (per["first_atm"] - per["last_credit"] <= 20 * 3600).all()
    assert (per["paid_out"] <= per["received"]).all()


def test_merchant_collusion_large_card_payments_at_one_independent_shop(
    small: Dataset, genuine: pl.DataFrame
) -> None:
    """Merchant collusion: >= 4 customers pay one independent shop of a big-ticket kind within a
    week (by credit card, or its UPI QR without one) at the dear end of what shops of its kind
    are paid; the shop is a POS terminal in the ring's home city, or for some incidents an
    online seller whose customers live anywhere."""
    rows = (
        fraud_of(small, "merchant_collusion")
        .join(
            small.merchants.select(
                "merchant_id", "is_online", "is_chain", pl.col("city").alias("shop_city")
            ),
            on="merchant_id",
        )
        .join(small.customers.select("customer_id", "home_city"), on="customer_id")
    )
    p80 = (
        genuine.filter(pl.col("txn_type") == "purchase")
        .group_by("category")
        .agg(pl.col("amount_inr").quantile(0.8).alias("p80"))
    )
    rows = rows.join(p80, on="category")
    kinds = ["electronics", "apparel", "home_furnishing"]
    per = rows.group_by(INC).agg(
        pl.col("customer_id").n_unique().alias("customers"),
        pl.col("merchant_id").n_unique().alias("merchants"),
        pl.col("payment_mode").is_in(["credit_card", "upi", "net_banking"]).all().alias("card"),
        (~pl.col("is_chain") & pl.col("category").cast(pl.String).is_in(kinds))
        .all()
        .alias("independent"),
        pl.col("is_online").first().alias("online"),
        (pl.col("shop_city").cast(pl.String) == pl.col("home_city").cast(pl.String))
        .mean()
        .alias("local"),
        span_s().alias("span"),
    )
    assert per.height >= 20
    # Parties are drawn independently; a repeat can leave 3 distinct customers.
    many = share(per.with_columns((pl.col("customers") >= 4).alias("ok")), "ok")
    assert many >= 0.95
    assert (per["merchants"] == 1).all()
    assert (per["span"] <= 7 * 86_400).all()
    assert per["card"].all()
    assert per["independent"].all()
    assert 0.15 <= per["online"].mean() <= 0.6  # type: ignore[operator]
    # Rings are recruited around their leader's home: most at a shop in their own city; an
    # online seller's customers come from anywhere.
    assert per.filter(~pl.col("online"))["local"].median() >= 0.5  # type: ignore[operator]
    cities = rows.group_by(INC).agg(pl.col("home_city").n_unique().alias("cities"))
    web = per.filter(pl.col("online")).join(cities, on=INC)
    assert web["cities"].median() >= 3  # type: ignore[operator]
    dear = share(rows.with_columns((pl.col("amount_inr") >= pl.col("p80")).alias("ok")), "ok")
    assert dear >= 0.35, f"only {dear:.1%} of collusive payments among the dearest fifth"
    # Paise, as card payments have: no round-figure tell.
    assert share(rows.with_columns((pl.col("amount_inr") % 100 == 0).alias("ok")), "ok") <= 0.05


def test_refund_fraud_refunds_never_exceed_the_purchase(small: Dataset) -> None:
    """Refund fraud: 1-2 online orders, each refunded days later by the same merchant to the same
    instrument, for the full amount or part of it, never more; declined orders get no refund."""
    rows = fraud_of(small, "refund_fraud")
    purchase = pl.col("txn_type") == "purchase"
    refund = pl.col("txn_type") == "refund"
    approved = pl.col("status") == "approved"
    keys = [INC, "customer_id", "merchant_id", "card_id"]
    per = rows.group_by(keys).agg(
        pl.col("amount_inr").filter(purchase & approved).sum().alias("paid"),
        pl.col("amount_inr").filter(refund).sum().alias("refunded"),
        refund.sum().alias("n_refund"),
        SECONDS.filter(purchase).min().alias("t_paid"),
        SECONDS.filter(refund).min().alias("t_refund"),
    )
    assert per.height >= 50
    assert (per["refunded"] <= per["paid"] + 0.01).all(), "a refund above what was paid"
    back = per.filter(pl.col("n_refund") > 0)
    assert back.height >= 40
    assert (back["t_refund"] - back["t_paid"] >= 86_400).all()
    full = share(per.with_columns((pl.col("refunded") == pl.col("paid")).alias("ok")), "ok")
    assert 0.6 <= full <= 0.97
    orders = rows.group_by(INC).agg(purchase.sum().alias("orders"))
    assert orders["orders"].is_between(1, 2).all()
    assert rows["channel"].is_in(ONLINE).all()


def test_friendly_fraud_looks_genuine_but_is_labelled_late(
    small: Dataset, genuine_devices: pl.DataFrame, customer_devices: pl.DataFrame
) -> None:
    """Friendly fraud: a single purchase, online from home on the customer's own, known device
    or a browser seen once, as genuine web checkouts are (about 70 %), or at a shop counter,
    where the customer is that day (mostly home), at one of the customer's own merchants, whose
    label arrives with the chargeback
    weeks later than other fraud's."""
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
    assert rows["channel"].is_in([*ONLINE, "pos"]).all()
    assert 0.55 <= num(rows["channel"].is_in(ONLINE).mean()) <= 0.85
    # Where the customer is that day: home, or the city of their genuine payments of the day
    # (a trip, a nearby town).
    day = pl.col("timestamp").dt.date().alias("day")
    seen = (
        tx.filter(~pl.col("is_fraud"))
        .select("customer_id", day, pl.col("city").alias("seen_city"))
        .unique()
        .with_columns(pl.lit(True).alias("was_there"))
    )
    where = rows.with_columns(day).join(
        seen,
        left_on=["customer_id", "day", "city"],
        right_on=["customer_id", "day", "seen_city"],
        how="left",
    )
    there = where["was_there"].fill_null(False) | (where["city"] == where["home_city"])
    assert there.all()
    assert 0.8 <= num((rows["city"] == rows["home_city"]).mean()) < 1.0
    # At one of the customer's own shops, as their genuine purchases are: 0.74 of the disputed
    # purchases went to a merchant the customer also paid genuinely (genuine purchases: 0.77
    # repeat a merchant); 0.61 when merchants were drawn by popularity alone.
    paid = (
        tx.filter(~pl.col("is_fraud") & pl.col("merchant_id").is_not_null())
        .select("customer_id", "merchant_id")
        .unique()
        .with_columns(pl.lit(True).alias("paid_genuinely"))
    )
    at_own = rows.join(paid, on=["customer_id", "merchant_id"], how="left")
    assert num(at_own["paid_genuinely"].fill_null(False).mean()) >= 0.68
    rows = rows.filter(pl.col("device_id").is_not_null())
    # The customer's own device, or (as in their genuine web checkouts) a browser seen once.
    fresh = fresh_fingerprint(rows)
    assert (rows["known_device"] | fresh).all(), "friendly fraud used another's device"
    assert num(fresh.mean()) < 0.15
    rows = rows.filter(~fresh)
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


def test_stolen_card_taps_under_the_contactless_limit_then_atm(small: Dataset) -> None:
    """Stolen card: 2-5 card-present taps in the home city within about two hours, each under
    the INR 5,000 no-PIN limit; a purchase above it is declined (no PIN); a thief with the PIN
    ends a debit card's spree at an ATM."""
    rows = fraud_of(small, "stolen_card").join(
        small.customers.select("customer_id", "home_city"), on="customer_id"
    )
    buy = pl.col("txn_type") == "purchase"
    atm = pl.col("txn_type") == "withdrawal"
    tap = buy & (pl.col("amount_inr") < 5_000)
    per = rows.group_by(INC).agg(
        tap.sum().alias("n_tap"),
        (buy & ~tap).sum().alias("n_pin"),
        (buy & ~tap & (pl.col("status") == "approved")).sum().alias("n_pin_ok"),
        atm.sum().alias("n_atm"),
        pl.col("card_id").null_count().alias("no_card"),
        span_s().alias("span"),
        pl.col("txn_type").sort_by("timestamp").last().alias("last_type"),
        (pl.col("city") == pl.col("home_city")).all().alias("home"),
        pl.col("card_id").n_unique().alias("cards"),
        pl.col("payment_mode").filter(atm).first().alias("atm_mode"),
        pl.col("amount_inr").filter(tap).sort_by(pl.col("timestamp").filter(tap)).first().alias("first"),
        pl.col("amount_inr").filter(tap).max().alias("max_tap"),
    )  # fmt: skip
    assert per.height >= 50
    assert per["n_tap"].is_between(2, 5).all()
    assert (per["n_pin"] <= 1).all()
    assert (per["n_pin_ok"] == 0).all(), "a purchase above the tap limit went through"
    assert (per["n_atm"] + per["n_pin"] <= 1).all()
    assert (per["no_card"] == 0).all()
    assert (per["cards"] == 1).all()
    assert (per["span"] <= int(2.5 * 3600)).all()
    assert per["home"].all()
    with_atm = per.filter(pl.col("n_atm") == 1)
    assert 0.1 <= with_atm.height / per.height <= 0.45
    assert (with_atm["atm_mode"] == "debit_card").all()
    assert (with_atm["last_type"] == "withdrawal").all()
    # A small tap first, to see whether the card works.
    assert share(per.with_columns((pl.col("first") <= pl.col("max_tap")).alias("ok")), "ok") == 1.0
    purchases = rows.filter(buy)
    assert purchases["payment_mode"].is_in(CARD_MODES).all()
    present = share(purchases.with_columns((pl.col("channel") == "pos").alias("ok")), "ok")
    assert present >= 0.9, f"only {present:.1%} of stolen-card purchases are card-present"


def test_synthetic_identity_builds_history_then_busts_out_on_credit(
    small: Dataset, genuine: pl.DataFrame
) -> None:
    """Synthetic identity: an account with no other activity makes 5-10 small everyday payments
    (paid back, so unlabelled), then 3-6 larger big-ticket purchases, the fraud, mostly on credit
    (card, EMI, BNPL), all from one device."""
    bust = fraud_of(small, "synthetic_identity")
    per_bust = bust.group_by(INC).agg(
        pl.col("customer_id").first(),
        pl.col("customer_id").n_unique().alias("customers"),
        pl.len().alias("n_bust"),
        pl.col("timestamp").min().alias("bust_start"),
        pl.col("amount_inr").median().alias("bust_median"),
    )
    assert per_bust.height >= 20
    assert (per_bust["customers"] == 1).all()
    assert per_bust["n_bust"].is_between(3, 6).all()
    # The fabricated customer's only other rows: the history, before the bust, labelled genuine.
    history = genuine.join(per_bust.select("customer_id", INC), on="customer_id", how="semi")
    everyone = small.transactions.join(per_bust.select("customer_id"), on="customer_id")
    per = (
        everyone.group_by("customer_id")
        .agg(
            (~pl.col("is_fraud")).sum().alias("n_build"),
            pl.col("amount_inr").filter(~pl.col("is_fraud")).max().alias("max_build"),
            pl.col("timestamp").filter(~pl.col("is_fraud")).max().alias("build_end"),
            pl.col("device_id").n_unique().alias("devices"),
            pl.col("device_id").null_count().alias("no_device"),
            pl.col(INC).drop_nulls().n_unique().alias("incidents"),
        )
        .join(per_bust, on="customer_id")
    )
    assert history.select(pl.col(INC).is_null().all()).item()
    assert (per["incidents"] == 1).all()
    assert (per["devices"] == 1).all()
    assert (per["no_device"] == 0).all()
    assert per["n_build"].is_between(5, 10).all()
    assert (per["max_build"] < 5_000).all()
    assert (per["build_end"] < per["bust_start"]).all()
    larger = share(
        per.with_columns((pl.col("bust_median") > pl.col("max_build")).alias("ok")), "ok"
    )
    assert larger >= 0.9
    # On credit, but for identities with no credit line open to them (who pay as they usually do).
    on_credit = bust.select(pl.col("payment_mode").is_in(CREDIT_MODES).mean()).item()
    assert on_credit >= 0.85


def test_bust_out_maxes_credit_then_goes_dormant(small: Dataset, genuine: pl.DataFrame) -> None:
    """Bust-out: 4-8 purchases on credit lines within 3 days, large for the customer, adding up
    to about the line's limit (attempts beyond it are refused); no BNPL or EMI at a shop; after
    it the customer has no genuine activity."""
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
    usual = (
        genuine.filter((pl.col("txn_type") == "purchase") & ~pl.col("is_anomaly"))
        .group_by("customer_id")
        .agg(pl.col("amount_inr").median().alias("usual"))
    )
    per = per.join(usual, on="customer_id", how="left").with_columns(
        (pl.col("median_amount") >= 5 * pl.col("usual")).alias("unusual"),
    )
    # Relative to the customer's own median purchase (missing if the bust starts very early).
    assert share(per.filter(pl.col("usual").is_not_null()), "unusual") >= 0.8
    start = per.group_by("customer_id").agg(pl.col("start").min())
    after = genuine.join(start, on="customer_id").filter(pl.col("timestamp") >= pl.col("start"))
    assert after.height == 0, f"{after.height} genuine rows after a bust-out started"
    history = genuine.join(start, on="customer_id", how="semi").select("customer_id").unique()
    assert history.height >= 0.9 * start.height
    # Customers with no credit line at all (no card, never pay-later) pay as they usually do.
    credit = share(rows.with_columns(pl.col("payment_mode").is_in(CREDIT_MODES).alias("ok")), "ok")
    assert credit >= 0.85, f"only {credit:.1%} of bust-out rows use credit, EMI or BNPL"
    at_shop = rows.filter(pl.col("channel") == "pos")
    assert (at_shop["payment_mode"] == "credit_card").all(), "BNPL or EMI at a shop counter"
    # Approved spending on a credit card stays within its limit.
    card = (
        rows.filter(
            pl.col("payment_mode").is_in(["credit_card", "emi"]) & (pl.col("status") == "approved")
        )
        .group_by(INC, "customer_id")
        .agg(pl.col("amount_inr").sum().alias("spent"))
        .join(small.customers.select("customer_id", "credit_limit_inr"), on="customer_id")
    )  # fmt: skip
    assert (card["spent"] <= card["credit_limit_inr"] + 0.01).all()


def test_velocity_abuse_burst_from_a_new_device(
    small: Dataset, customer_devices: pl.DataFrame
) -> None:
    """Velocity abuse: >= 8 online payments within an hour from a device the customer never
    uses, by one instrument; the bank's velocity rules decline more of the burst's later
    payments than of its first."""
    rows = with_known_device(fraud_of(small, "velocity_abuse"), customer_devices)
    per = rows.group_by(INC).agg(
        pl.len().alias("n"),
        span_s().alias("span"),
        pl.col("known_device").any().alias("known"),
        pl.col("device_id").n_unique().alias("devices"),
        pl.col("device_id").null_count().alias("no_device"),
        pl.col("payment_mode").n_unique().alias("modes"),
        pl.col("channel").is_in(ONLINE).all().alias("online"),
    )
    assert per.height >= 30
    assert per["n"].is_between(8, 16).all()
    assert (per["span"] <= 3600).all()
    assert not per["known"].any()
    assert (per["devices"] == 1).all()
    assert (per["no_device"] == 0).all()
    assert (per["modes"] == 1).all()
    assert per["online"].all()
    ranked = rows.with_columns(
        pl.col("timestamp").rank("ordinal").over(INC).alias("k"),
        (pl.col("status") == "declined").alias("d"),
    )
    early = share(ranked.filter(pl.col("k") <= 3), "d")
    late = share(ranked.filter(pl.col("k") >= 8), "d")
    assert late > early, f"late declines {late:.1%} vs early {early:.1%}"


def test_amount_manipulation_stays_just_below_thresholds(small: Dataset) -> None:
    """Structuring: 3-6 payments within two days, each within 8% below INR 50,000 (transfers)
    or INR 2 lakh (jewellery), the PAN thresholds of Rule 114B; jewellery only for customers
    earning 6 lakh a year or more."""
    rows = fraud_of(small, "amount_manipulation").join(
        small.customers.select("customer_id", "income_bracket"), on="customer_id"
    )
    amount = pl.col("amount_inr")
    transfer = (pl.col("txn_type") == "p2p_transfer") & (amount < 50_000) & (amount >= 46_000)
    jewellery = (pl.col("category") == "jewellery") & (amount < 200_000) & (amount >= 184_000)
    per = rows.group_by(INC).agg(
        pl.len().alias("n"),
        (transfer | jewellery).all().alias("below"),
        span_s().alias("span"),
    )
    assert per.height >= 50
    assert per["n"].is_between(3, 6).all()
    assert per["below"].all()
    assert (per["span"] <= 2 * 86_400).all()
    # Pieces crowd towards the threshold: the 2 % just below it hold about twice the pieces of
    # the band 6-8 % below (28 % and 15 % in a million draws of the pattern's amounts and rounding).
    threshold = pl.when(pl.col("category") == "jewellery").then(200_000).otherwise(50_000)
    gap = (threshold - amount) / threshold
    close = share(rows.with_columns((gap < 0.02).alias("ok")), "ok")
    far = share(rows.with_columns(((gap >= 0.06) & (gap < 0.08)).alias("ok")), "ok")
    assert close >= 0.22
    assert close >= 1.4 * far
    buyers = rows.filter(pl.col("category") == "jewellery")["income_bracket"].unique()
    assert not buyers.is_in(["<3L", "3-6L"]).any()


def test_shipping_fraud_ships_far_from_home_from_a_new_device(
    small: Dataset, customer_devices: pl.DataFrame
) -> None:
    """Shipping fraud: 1-3 online orders placed from a new device, most incidents to a drop in a
    city >= 1,000 km from the customer's home, the rest to a drop in the home city."""
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
    far = rows["dist_km"] >= geo.FAR_KM
    assert (far | (rows["city"] == rows["home_city"])).all()
    assert 0.45 <= num(far.mean()) <= 0.75
    # Home and payment points are jittered a few km around their city centres.
    assert (rows.filter(far)["km"] >= 0.95 * geo.FAR_KM).all()
    assert not rows["known_device"].any()
    assert rows["device_id"].null_count() == 0
    per = rows.group_by(INC).agg(pl.len().alias("n"), pl.col("city").n_unique().alias("cities"))
    assert per["n"].is_between(1, 3).all()
    assert (per["cities"] == 1).all()


def test_loyalty_abuse_ring_shares_one_device_at_one_merchant(
    small: Dataset, customer_devices: pl.DataFrame
) -> None:
    """Loyalty abuse: >= 3 accounts place orders at one chain merchant from phones that each hold
    two of the ring's accounts, each above the offer's minimum order value (at least INR 99)."""
    rows = with_known_device(fraud_of(small, "loyalty_abuse"), customer_devices).join(
        small.merchants.select("merchant_id", "is_chain"), on="merchant_id", how="left"
    )
    per = rows.group_by(INC).agg(
        pl.col("customer_id").n_unique().alias("customers"),
        pl.col("device_id").n_unique().alias("devices"),
        pl.col("device_id").null_count().alias("no_device"),
        pl.col("merchant_id").n_unique().alias("merchants"),
        pl.col("merchant_id").null_count().alias("no_merchant"),
        pl.col("amount_inr").is_between(99, 5_000).all().alias("small"),
        pl.col("known_device").any().alias("known"),
        pl.col("is_chain").all().alias("chain"),
    )
    assert per.height >= 10
    # A ring's 3-6 accounts are drawn independently, so rarely one account is drawn twice.
    ring = share(per.with_columns((pl.col("customers") >= 3).alias("ok")), "ok")
    assert ring >= 0.95
    assert (per["customers"] >= 2).all()
    # Two accounts per phone: a ring of k accounts on ceil(k/2) phones.
    assert (per["devices"] <= (per["customers"] + 1) // 2 + 1).all()
    assert (per["no_device"] == 0).all()
    assert (per["merchants"] == 1).all()
    assert (per["no_merchant"] == 0).all()
    assert per["small"].all()
    assert not per["known"].any()
    # A ring's phone may farm other rings over the weeks (the fraudster's phone), but no
    # genuine row and no other pattern uses it, and it holds at most two of a ring's accounts.
    ring_devices = rows["device_id"].unique().implode()
    others = small.transactions.filter(
        pl.col("device_id").is_in(ring_devices) & (pl.col("fraud_type") != "loyalty_abuse")
    )
    assert others.height == 0
    accounts = rows.group_by("device_id", INC).agg(pl.col("customer_id").n_unique())
    assert (accounts["customer_id"] <= 2).all()
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
