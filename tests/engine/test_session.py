"""The session columns (``engine.session``): where they are null, how they follow their events
(a payee's address, a device's binding, a SIM's change), their genuine shares by context, and
the pattern record's fields that set them for a mechanism."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import polars as pl
import pytest

from fraudforge.engine import market as mkt
from fraudforge.engine import session
from fraudforge.engine.fraud.patterns import REGISTRY
from fraudforge.engine.rows import FIELDS, SESSION_FIELDS, Rows
from fraudforge.engine.scenario import Scenario
from fraudforge.engine.shard import IndiaWorld
from tests.conftest import Dataset

DAY = 86_400
T_END = 1_760_000_000


def test_handle_age_counts_days_from_the_address_in_use() -> None:
    """Exact values: 0 on the day an address is created, whole days after it; before it the
    payee used its previous address, whose age continues."""
    who = np.array([5, 5, 5, 9])
    merchant = np.array([False, False, False, True])
    created, previous = session.handle_created(who, merchant, T_END)
    assert created[0] == created[1] == created[2]
    assert previous[0] < created[0] <= T_END
    ts = np.array([created[0], created[0] + 3 * DAY + 5, created[0] - 1, created[3] + DAY])
    age = session.handle_age_days(who, merchant, ts, T_END)
    assert age.tolist() == [0, 3, (created[0] - 1 - previous[0]) // DAY, 1]


def test_latest_event_is_each_customers_last_one_before_the_time() -> None:
    """Exact values on a small event list (events in any order)."""
    ev_c = np.array([1, 0, 1, 0, 1])
    ev_t = np.array([50, 10, 5, 30, 20])
    got = session.latest_event(
        ev_c, ev_t, np.array([0, 0, 0, 1, 1, 1]), np.array([10, 29, 99, 5, 49, 50])
    )
    assert got.tolist() == [10, 10, 30, 5, 20, 50]


def test_nulls_follow_the_payment(small: Dataset) -> None:
    """The UPI columns are null exactly on non-UPI payments; the device, SIM and remote-access
    columns exactly outside app sessions (UPI, or net banking in the app, on a device)."""
    tx = small.transactions
    upi = tx["payment_mode"] == "upi"
    for c in ("upi_initiation", "payee_handle_age_days"):
        assert (tx[c].is_null() == ~upi).all(), c
    app = (tx["payment_mode"] == "net_banking") & (tx["channel"] == "mobile_app")
    session_rows = tx["device_id"].is_not_null() & (upi | app)
    for c in ("device_bound_days", "sim_changed_days", "remote_access"):
        assert (tx[c].is_null() == ~session_rows).all(), c
    assert (tx.select(pl.col("^.*_days$").min()).row(0)) >= (0, 0, 0)


def test_each_payees_address_has_one_creation_date(small: Dataset) -> None:
    """Every row paying a payee agrees on when its address was created (the date minus the
    age), at most two dates per payee: the current address and the one before it."""
    upi = small.transactions.filter(pl.col("payment_mode") == "upi")
    created = upi.select(
        "counterparty",
        (pl.col("timestamp").dt.date() - pl.duration(days=pl.col("payee_handle_age_days"))).alias(
            "created"
        ),
    )
    dates = created.group_by("counterparty").agg(pl.col("created").n_unique())
    # A date boundary inside a day: the creation time's own day or the next.
    assert dates.select(pl.col("created").max()).item() <= 4


def test_bindings_and_sim_changes_move_only_forward(small: Dataset) -> None:
    """Per customer and device, the binding date (day minus days bound) only moves later in
    time (a re-registration); per customer, so does the SIM's change date; both are never in
    the future."""
    tx = small.transactions.filter(pl.col("device_bound_days").is_not_null()).sort(
        "customer_id", "timestamp"
    )
    day = pl.col("timestamp").dt.date()
    dated = tx.select(
        "customer_id",
        "device_id",
        (day - pl.duration(days=pl.col("device_bound_days"))).alias("bound"),
        (day - pl.duration(days=pl.col("sim_changed_days"))).alias("sim"),
    )
    for keys, column in ((["customer_id", "device_id"], "bound"), (["customer_id"], "sim")):
        steps = dated.group_by(keys, maintain_order=True).agg(
            (pl.col(column).diff().dt.total_days() >= -1).all().alias("ok")
        )
        assert steps["ok"].all(), column


def test_a_new_sim_registers_the_phone_again_once_its_sms_bar_is_over(small: Dataset) -> None:
    """A new SIM receives no SMS for its first day (the DoT's rule), so the customer's own
    phone registers again only after it: genuine payments of the day the SIM changed keep the
    older registration, and those of the next day show the new one."""
    genuine = small.transactions.filter(
        ~pl.col("is_fraud") & pl.col("sim_changed_days").is_not_null()
    )
    day0 = genuine.filter(pl.col("sim_changed_days") == 0)
    day1 = genuine.filter(pl.col("sim_changed_days") == 1)
    assert day0.height > 20
    assert day1.height > 20
    assert (day0["device_bound_days"] == 0).mean() < 0.1  # type: ignore[operator]
    assert (day1["device_bound_days"] == 0).mean() > 0.7  # type: ignore[operator]


def test_genuine_initiation_by_context(small: Dataset) -> None:
    """Shop counters are scanned, apps hand over by intent, bills run on mandates part of the
    time, and no transfer between people is a collect request from 1 October 2025."""
    upi = small.transactions.filter((pl.col("payment_mode") == "upi") & ~pl.col("is_fraud"))

    def share(rows: pl.DataFrame, how: str) -> float:
        return float(rows.select((pl.col("upi_initiation") == how).mean()).item() or 0.0)

    shops = upi.filter((pl.col("channel") == "pos") & (pl.col("category") != "p2p"))
    assert share(shops, "qr") > 0.9
    apps = upi.filter(
        (pl.col("channel") == "mobile_app")
        & pl.col("category").is_in(["grocery", "restaurants", "fast_food", "marketplace"])
    )
    assert share(apps, "intent") > 0.8
    bills = upi.filter(pl.col("txn_type") == "bill_payment")
    assert 0.25 < share(bills, "mandate") < 0.6
    p2p = upi.filter(pl.col("txn_type") == "p2p_transfer")
    cutoff = dt.datetime(2025, 10, 1)
    assert share(p2p.filter(pl.col("timestamp") >= cutoff), "collect") == 0.0
    assert share(p2p.filter(pl.col("timestamp") < cutoff), "collect") > 0.01
    assert (
        upi.filter(pl.col("txn_type") != "p2p_transfer")["upi_initiation"]
        .is_in(["pay", "collect", "qr", "intent", "mandate"])
        .all()
    )


def test_genuine_sessions_show_every_signal(small: Dataset) -> None:
    """Nothing in the session is fraud-only: genuine sessions include new bindings, recent SIM
    changes, remote-access tools and young payee addresses, at modest rates."""
    genuine = small.transactions.filter(
        ~pl.col("is_fraud") & pl.col("device_bound_days").is_not_null()
    )
    rates = genuine.select(
        (pl.col("device_bound_days") == 0).mean().alias("bound_today"),
        (pl.col("sim_changed_days") < 30).mean().alias("sim_month"),
        pl.col("remote_access").mean().alias("remote"),
        (pl.col("payee_handle_age_days") < 30).mean().alias("young_payee"),
    ).row(0, named=True)
    assert 0.0005 < rates["bound_today"] < 0.01
    # The realism band is 0.008-0.035 at the default fraud rate (docs/realism.md); this
    # fixture's raised fraud rate adds SIM-swap victims, whose own later payments show it too.
    assert 0.008 < rates["sim_month"] < 0.045
    assert 0.0005 < rates["remote"] < 0.01
    assert 0.01 < rates["young_payee"] < 0.1


@pytest.fixture(scope="module")
def takeover_world() -> tuple[IndiaWorld, IndiaWorld]:
    """A small world twice: with the default records, and with account takeover's session
    fields at their extremes (every own-device row under remote access, every new-device part
    after a SIM swap, devices registered the hour they pay)."""
    s = Scenario(customers=800, shard_size=400, days=30, fraud_rate=0.1, seed=3).resolved()
    ato = REGISTRY.by_name("account_takeover")
    extreme = dataclasses.replace(ato, remote_access=1.0, sim_swap=1.0, device_prepared_days=0.0)
    registry = REGISTRY.without("account_takeover").with_(extreme)
    return IndiaWorld.build(s), IndiaWorld.build(s, registry)


def test_a_record_sets_its_mechanism_and_nothing_else(
    takeover_world: tuple[IndiaWorld, IndiaWorld],
) -> None:
    """Raising account takeover's session fields changes only session fields, only of its
    rows and of its victims' SIM ages and bindings (a new SIM binds their phones again) and the
    status of victims' own payments in the first day of such a binding (NPCI's cooling
    limit); its new-device rows come bound within a day of a SIM swap, its own-device rows
    under remote access."""
    base, extreme = takeover_world
    code = REGISTRY.by_name("account_takeover").code
    seen = 0
    for shard in range(base.scenario.n_shards):
        a, b = base.rows(shard), extreme.rows(shard)
        other = b["fraud"] != code
        untouched = ~np.isin(b["cust"], b["cust"][~other])
        for k in FIELDS:
            if k not in SESSION_FIELDS and k != "status":
                np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        np.testing.assert_array_equal(a["status"][untouched], b["status"][untouched])
        for k in ("upi_via", "payee_age", "remote"):
            np.testing.assert_array_equal(a[k][other], b[k][other], err_msg=k)
        for k in ("bound", "sim"):
            np.testing.assert_array_equal(a[k][untouched], b[k][untouched], err_msg=k)
        ato = b.take(b["fraud"] == code)
        _owner, slot = session.device_owner(extreme.context(shard), ato.cols)
        new_device = (slot < 0) & (ato["device"] >= 0)
        own = slot >= 0
        seen += int(new_device.sum())
        assert (ato["bound"][new_device] == 0).all()
        assert (ato["sim"][new_device] <= 1).all()
        assert (ato["remote"][own] == 1).all()
    assert seen > 0


def test_session_fields_do_not_change_other_columns(
    takeover_world: tuple[IndiaWorld, IndiaWorld], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session is drawn after every other column, from its own draws: without it, every
    other field of every row is the same, but for the genuine UPI payments NPCI's cooling limit
    declines in a registration's first day."""
    base, _ = takeover_world
    with_session = base.rows(0)
    monkeypatch.setattr("fraudforge.engine.shard.fill_session", lambda ctx, rows, reg: rows)
    without = base.rows(0)
    for k in FIELDS:
        if k not in SESSION_FIELDS and k != "status":
            np.testing.assert_array_equal(with_session[k], without[k], err_msg=k)
    cooled = with_session["status"] != without["status"]
    assert (with_session["status"][cooled] == mkt.STATUS["declined"]).all()
    assert (with_session["fraud"][cooled] == 0).all()
    assert (with_session["mode"][cooled] == mkt.MODE["upi"]).all()
    assert (with_session["bound"][cooled] == 0).all()
    genuine_via = without["upi_via"][without["fraud"] == 0]
    # Genuine rows leave it to the session, but for vendors' QR codes (legit.VENDOR_QR_SHARE).
    assert np.isin(genuine_via, [-2, mkt.UPI_INITIATION["qr"]]).all()
    assert (genuine_via == -2).mean() > 0.9
    assert (with_session["upi_via"][with_session["mode"] == mkt.MODE["upi"]] >= 0).all()


def test_young_payees_are_young_and_never_the_payer(
    takeover_world: tuple[IndiaWorld, IndiaWorld],
) -> None:
    """Payees drawn for fresh mule addresses have addresses at most that old at the time, and
    are not the paying customer."""
    world, _ = takeover_world
    ctx = world.context(0)
    ts = np.full(200, ctx.t_start + 10 * DAY)
    avoid = np.arange(200)
    payee = session.young_payees(ctx, ts, 20.0, avoid)
    age = session.handle_age_days(payee, np.zeros(200, bool), ts, ctx.t_end)
    assert (age <= 20).mean() > 0.95
    assert (payee != avoid).all()


def test_rows_default_to_unset_session() -> None:
    """A builder's rows leave the session to the genuine draw unless they set it."""
    rows = Rows.empty(3)
    for k in SESSION_FIELDS:
        assert (rows[k] == -2).all()


def test_the_cooling_limit_declines_genuine_payments_on_a_new_registration() -> None:
    """Exact: a customer's phone registered at t0; genuine UPI payments of INR 3,000 and 1,500
    in its first day pass, the next INR 1,000 would take the day past INR 5,000 and is
    declined; a payment already declined and a fraud row do not count; a payment 25 hours
    after the registration, another customer's INR 4,500 (a limit of its own) and one by card
    are not limited."""
    t0 = T_END - 10 * DAY
    n = 8
    rows = Rows.empty(n)
    rows["cust"] = [1, 1, 1, 1, 1, 1, 2, 1]
    rows["ts"] = t0 + np.array([60, 120, 180, 150, 170, 25 * 3600, 200, 190])
    rows["amount"] = [3_000.0, 1_500.0, 1_000.0, 900.0, 800.0, 4_000.0, 4_500.0, 2_000.0]
    upi, card = mkt.MODE["upi"], mkt.MODE["debit_card"]
    rows["mode"] = [upi, upi, upi, upi, upi, upi, upi, card]
    rows["fraud"] = [0, 0, 0, 0, 3, 0, 0, 0]
    declined = mkt.STATUS["declined"]
    rows["status"] = [0, 0, 0, declined, 0, 0, 0, 0]
    at = np.arange(n)
    s = {k: rows[k] for k in ("cust", "ts", "amount", "mode", "fraud")}
    bound_at = np.full(n, t0)
    session._cooling_limit(rows, at, s, bound_at)
    assert rows["status"].tolist() == [0, 0, declined, declined, 0, 0, 0, 0]
