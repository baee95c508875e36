"""What a bank sees of the session around a payment: how a UPI payment was started, how old
the payee's UPI address is, how long the device has been bound to the customer's app, how long
since the SIM of the customer's number changed, and whether the app saw a screen-sharing or
remote-access tool (the schema's session columns, ``docs/schema.md``).

``fill_session`` fills them for a shard's rows once every generator has made its rows, so no
other column changes with them. Per-customer events come from the shard's own session stream
(``rng.STREAM_SESSION``); per-row and per-incident draws are uniforms keyed by the row (its
customer, time, amount, payee and incident) or the incident, so adding or dropping a pattern
changes no other row's session:

- **UPI initiation** by the payment's context (``INITIATION_WEIGHTS``): a shop counter is
  scanned (QR), an app hands over to the UPI app (intent), a web checkout raises a collect
  request or shows a QR code, bills and subscriptions run on AutoPay mandates part of the time,
  transfers between people are pushed. P2P collect requests end on ``P2P_COLLECT_END`` (NPCI).
  A builder may set ``upi_via`` itself (a pattern's mechanism); ``UNSET`` rows take the
  genuine draw.
- **Payee handle age** is a function of the payee alone (a customer's or a merchant's UPI
  address, ``handle_age_days``), the same in every row that pays it: a young address belongs to
  a new UPI user or a new merchant, whoever pays it.
- **Device binding** follows events: each of a customer's own devices was bound some time
  before the period (the partner's shared phone as the partner's), a new phone on the day it
  arrives, a reinstall re-binds the main phone (``REBIND_PER_90_DAYS``), a new SIM re-binds the
  customer's own phones once its first day without SMS is over (UPI binds the app to the SIM
  by an SMS: ``SMS_BAR_S``), and any other device was bound before
  it first pays for the customer (a fraudster's phone on which the victim's UPI was
  registered; how long before, the pattern's ``device_prepared_days``).
- **SIM change** follows events: the last change before the period, number ports and
  replacements within it (``SIM_CHANGE_PER_MONTH``), some new phones with a new SIM, and the
  SIM swaps of patterns whose record sets ``sim_swap``, a day or more before the fraudster's
  first payment (``SIM_SWAP_LEAD_S``: a new SIM gets no SMS, so no OTP, for its first day).
- **NPCI's cooling limit** (INR 5,000 in the first 24 hours of a new registration) declines
  genuine UPI payments beyond it on a customer's new or re-registered phone, as it declines a
  fraudster's (``_cooling_limit``).
- **Remote access** is seen in a few genuine sessions (about 5 % of customers use screen
  sharing now and then, those of low digital savviness and those over 60 more often:
  ``remote_user_share``; for transfers, bills and large payments more often; for a whole
  session at a time: ``in_sessions``) and, for patterns whose record sets ``remote_access``,
  in that share of their rows made on the victim's own device.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from fraudforge.engine import market as mkt
from fraudforge.engine.branchless import where
from fraudforge.engine.context import ShardContext
from fraudforge.engine.fraud.record import MAX_CODE, Registry
from fraudforge.engine.ids import keyed_uniform, mix63
from fraudforge.engine.legit import normalised_cum
from fraudforge.engine.population import MAX_DEVICES, pick_merchants
from fraudforge.engine.rng import STREAM_SESSION, stream
from fraudforge.engine.rows import UNSET, Rows
from fraudforge.engine.search import grouped_right

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

DAY_S = 86_400

# Contexts of a UPI payment (rows of INITIATION_WEIGHTS).
P2P, SHOP, APP, WEB, BILL, SUBSCRIPTION, P2P_NO_COLLECT = range(7)
INITIATION_WEIGHTS: F64 = np.array(
    [
        # pay, collect, qr, intent, mandate
        [0.92, 0.04, 0.04, 0.00, 0.00],  # transfer between people (vendors' QR: legit.py)
        [0.01, 0.02, 0.97, 0.00, 0.00],  # shop counter: scan and pay
        [0.04, 0.04, 0.02, 0.90, 0.00],  # in a merchant's app: intent
        [0.04, 0.40, 0.36, 0.20, 0.00],  # web checkout: collect to the VPA typed, or a QR
        [0.35, 0.03, 0.03, 0.17, 0.42],  # bills (utilities, telecom, insurance, ...)
        [0.02, 0.03, 0.02, 0.43, 0.50],  # subscriptions (entertainment, digital goods)
        [0.96, 0.00, 0.04, 0.00, 0.00],  # transfers once P2P collect has ended
    ]
)
"""Share of each way of starting a UPI payment by context. Public anchors: pull (collect)
transactions were about 3 % of UPI before P2P collect ended; UPI AutoPay executed 926 million
mandates in November 2025, about 4.6 % of UPI's 20 billion; shop counters take UPI by QR
(678 million UPI QR codes by June 2025). Sources and what is assumed: docs/realism.md."""
_INITIATION_CUM: F64 = normalised_cum(INITIATION_WEIGHTS)
P2P_COLLECT_END = dt.date(2025, 10, 1)
"""NPCI's circular of 29 July 2025: no P2P collect request is processed from 1 October 2025;
merchants' collect requests continue."""
SUBSCRIPTION_CATEGORIES = ("entertainment", "digital_goods")
_CATEGORY_CONTEXT: I64 = np.full(mkt.CAT_IS_BILL.shape[0], -1, dtype=np.int64)
_CATEGORY_CONTEXT[[mkt.CAT[k] for k in SUBSCRIPTION_CATEGORIES]] = SUBSCRIPTION
_CATEGORY_CONTEXT[mkt.CAT_IS_BILL] = BILL
_CATEGORY_CONTEXT[mkt.CAT["p2p"]] = P2P
"""The context a category decides whatever the channel (by precedence: transfers between
people, bills, subscriptions), -1 where the channel does."""

CUSTOMER_HANDLE_MEAN_DAYS = 1_000.0
"""Mean age of a customer's UPI address (exponential): about 9 % are under 90 days old (new
UPI users, a new address with a new app)."""
MERCHANT_HANDLE_MEAN_DAYS = 550.0
"""Mean age of a merchant's UPI address: the QR network doubled between January 2024 and June
2025 (Worldline), so many merchants' addresses are young."""
PREVIOUS_KEPT_DAYS = 365.0
"""A payee kept its previous address at least this long (plus an exponential spell) before the
current one: rows before the current address's creation see the previous one."""
BIND_MEAN_DAYS = 420.0
"""Mean age of a device's binding to the customer's app before the period (phones kept about
three years, apps reinstalled and re-registered in between)."""
REBIND_PER_90_DAYS = 0.25
"""Customers who register a UPI app on their main phone in 90 days (a reinstall, a reset, a
switch of UPI app, or one more app: most UPI users keep several; docs/realism.md)."""
SIM_MEAN_DAYS = 1_650.0
"""Mean time since a SIM last changed, before the period (changes at about 1.8 % a month, as
within it)."""
SIM_CHANGE_PER_MONTH = 0.018
"""Customers whose SIM changes in a month: about 13 million number ports a month among 1,060
million wireless subscribers (TRAI, 1.3 %), plus replacements of lost, damaged or upgraded SIMs
(about 0.5 %, assumed)."""
NEW_PHONE_WITH_SIM = 0.25
"""New phones that come with a new SIM (a lost or stolen phone replaced): the SIM is replaced
the day before the phone is set up, so its SMS bar (``SMS_BAR_S``) is over when the phone
registers."""
REMOTE_USER_SHARE = 0.044
"""Customers of medium digital savviness under 60 who use screen sharing or remote access now
and then (help from family, screen mirroring, an employer's tool); with the factors below,
about 5 % of all customers (assumed)."""
REMOTE_USER_SAVVINESS: F64 = np.array([2.0, 1.0, 0.6])
"""How much likelier a customer of low, medium and high digital savviness uses such a tool:
those unsure of an app get a son or a niece to guide them through it on a shared screen
(assumed); so do the customers scammers target, whose genuine sessions therefore show it too."""
REMOTE_USER_SENIOR = 2.0
"""How much likelier a customer aged 60 or more uses such a tool (family helping from afar)."""
REMOTE_USER_SESSIONS = 0.03
"""Share of such a customer's app sessions with the tool running."""
HELPED_FACTOR = 2.5
"""How much likelier the tool runs when such a customer makes a transfer or pays a bill (help
from family or a colleague with a payment they are unsure of) than for a purchase."""
SESSION_GAP_S = 30 * 60
"""A customer's app payments less than this apart are one session: a screen-sharing tool
running in it runs for each of them."""
HELPED_AMOUNT_INR = 10_000.0
"""The larger the payment, the likelier such a customer has someone guide them through it: the
chance grows by its base for every this many rupees (a INR 50,000 transfer six times as likely
as a small one; assumed). Remote-access scams move large sums, and so do some of the genuine
sessions that run the same tools."""
BIND_LEAD_S = (5 * 60, 3_600)
"""A device new to the account is registered this long (seconds) before its first payment at
least (an OTP, a SIM check, setting the UPI PIN)."""
SMS_BAR_S = 24 * 3_600
"""A new SIM receives and sends no SMS for this long after it is activated (the Department of
Telecommunications' rule for SIM replacements and upgrades, November 2022, against SIM swap
fraud; Business Today, 16 November 2022,
https://www.businesstoday.in/technology/story/dot-issues-new-sms-rule-for-jio-airtel-and-vodafone-will-help-prevent-sms-fraud-353104-2022-11-16):
no OTP arrives and no UPI registration (an SMS from the phone) goes through until it ends, for
the customer's own new SIM as for a fraudster's duplicate."""
SIM_SWAP_LEAD_S = (SMS_BAR_S + 10 * 60, SMS_BAR_S + 24 * 3_600)
"""A SIM swap comes this long (seconds) before the first payment from the fraudster's device or
with the OTPs the new SIM receives: the SMS bar (``SMS_BAR_S``) and up to a day more (a swap
in the evening, the account drained when SMS resumes the next evening or the morning after)."""


def fill_session(ctx: ShardContext, rows: Rows, registry: Registry) -> Rows:
    """Fill the session fields of a shard's rows (sorted by customer, then time) from the
    shard's session stream, as the module docstring describes; returns ``rows``. The work is
    done on the rows that have a session field (UPI payments and app sessions) only."""
    rng = stream(ctx.scenario.seed, STREAM_SESSION, ctx.shard)
    if len(rows) == 0:
        return rows
    cu = ctx.customers
    # Per customer, drawn first so they do not depend on the rows' number.
    rebind_at = _in_period(ctx, rng, REBIND_PER_90_DAYS * ctx.calendar.days / 90.0)
    sim_base = ctx.t_start - (rng.exponential(SIM_MEAN_DAYS, cu.n) * DAY_S).astype(np.int64)
    months = ctx.calendar.days / 30.0
    sim_change = _in_period(ctx, rng, 1.0 - (1.0 - SIM_CHANGE_PER_MONTH) ** months)
    with_phone = (cu.new_phone_at < ctx.t_end) & (rng.random(cu.n) < NEW_PHONE_WITH_SIM)
    remote_user = rng.random(cu.n) < remote_user_share(cu.age, cu.savviness)
    upi = rows["mode"] == mkt.MODE["upi"]
    session = app_session(rows.cols)
    preset_via, preset_remote = rows["upi_via"].copy(), rows["remote"].copy()
    for k in ("upi_via", "payee_age", "bound", "sim", "remote"):
        rows[k] = -1
    keyed = upi | session
    key = np.zeros(len(rows), dtype=np.uint64)
    key[keyed] = row_keys(ctx.scenario.seed, _subset(rows.cols, np.flatnonzero(keyed)))
    at = np.flatnonzero(upi)
    u = _subset(rows.cols, at)
    drawn = initiations(u, keyed_uniform(key[at], _INITIATION_SALT))
    rows["upi_via"][at] = where(preset_via[at] == UNSET, drawn, preset_via[at])
    rows["payee_age"][at] = payee_handle_age(ctx, u)
    at = np.flatnonzero(session)
    s = _subset(rows.cols, at)
    c, ts = s["cust"] - cu.offset, s["ts"]
    owner, slot = device_owner(ctx, s)
    # A swap precedes the fraudster's first payment of any kind (a card bought online with the
    # OTPs the new SIM receives has no app session, yet the victim's SIM changed).
    fraud = _subset(rows.cols, np.flatnonzero(rows["fraud"] > 0))
    swaps = _sim_swaps(
        ctx.scenario.seed, fraud, device_owner(ctx, fraud)[1], _by_code(registry, "sim_swap"),
        cu.offset,
    )  # fmt: skip
    changed = np.flatnonzero(sim_change < ctx.t_end)
    phone = np.flatnonzero(with_phone)
    # Each customer's SIM events: one long before anything (so a query a day back always finds
    # one; it is never the latest before a payment, the last change before the period is).
    never = np.full(cu.n, ctx.t_start - 100 * 365 * DAY_S, dtype=np.int64)
    ev_c = np.concatenate([np.arange(cu.n), np.arange(cu.n), changed, swaps[0], phone])
    with_sim = cu.new_phone_at[phone] - SMS_BAR_S
    ev_t = np.concatenate([never, sim_base, sim_change[changed], swaps[1], with_sim])
    # The latest change by each payment, and the latest whose SMS bar ended by it.
    latest = latest_event(ev_c, ev_t, np.concatenate([c, c]), np.concatenate([ts, ts - SMS_BAR_S]))
    sim_at, sim_done = latest[: c.shape[0]], latest[c.shape[0] :]
    rows["sim"][at] = (ts - sim_at) // DAY_S
    prepared = _by_code(registry, "device_prepared_days")
    bound_at = binding_times(ctx, s, (owner, slot), rebind_at, prepared)
    # UPI apps bind to the SIM: a new SIM in the customer's own phone means registering again,
    # which takes an SMS from the phone, so once its SMS bar is over (``sim_done``; the event
    # long before anything moves nothing).
    own = (owner == s["cust"]) & (slot >= 0)
    bound_at = where(own, np.maximum(bound_at, sim_done + SMS_BAR_S), bound_at)
    rows["bound"][at] = (ts - bound_at) // DAY_S
    _cooling_limit(rows, at, s, bound_at)
    helped = (s["txn_type"] == mkt.TXN["p2p_transfer"]) | (s["txn_type"] == mkt.TXN["bill_payment"])
    unsure = where(helped, HELPED_FACTOR, 1.0) * (1.0 + s["amount"] / HELPED_AMOUNT_INR)
    p = where(remote_user[c], np.minimum(REMOTE_USER_SESSIONS * unsure, 1.0), 0.0)
    share = _by_code(registry, "remote_access")[s["fraud"].astype(np.int64)]
    p = where((slot >= 0) & ~np.isnan(share), np.nan_to_num(share), p)
    seen = keyed_uniform(key[at], _REMOTE_SALT) < p
    # Genuine rows share their session's tool (among genuine rows only, so that no pattern's
    # rows, added or dropped, change a genuine row).
    genuine = np.flatnonzero(s["fraud"] == 0)
    seen[genuine] = in_sessions(s["cust"][genuine], ts[genuine], seen[genuine])
    rows["remote"][at] = where(preset_remote[at] == UNSET, seen, preset_remote[at])
    return rows


def _cooling_limit(rows: Rows, at: I64, s: Cols, bound_at: I64) -> None:
    """Decline the genuine UPI payments (among the session rows ``s`` at ``at``) that take a
    device's first 24 hours after its registration beyond NPCI's INR 5,000: the limit holds for
    every new registration, a customer's new phone as a fraudster's. Only genuine rows count
    towards it, so no pattern's rows change a genuine row; fraud builders apply it themselves."""
    from fraudforge.engine.fraud.mechanics import NEW_DEVICE_LIMIT_INR, over_limit

    fresh = (s["fraud"] == 0) & (s["mode"] == mkt.MODE["upi"]) & (s["ts"] - bound_at < DAY_S)
    fresh &= rows["status"][at] != mkt.STATUS["declined"]
    i = np.flatnonzero(fresh)
    if i.size == 0:
        return
    # One group per customer and registration.
    group = np.unique(np.stack([s["cust"][i], bound_at[i]]), axis=1, return_inverse=True)[1]
    group = np.asarray(group, dtype=np.int64).ravel()
    counts = np.ones(i.size, dtype=bool)
    refused = over_limit(group, s["ts"][i], s["amount"][i], counts, NEW_DEVICE_LIMIT_INR)
    rows["status"][at[i[refused]]] = mkt.STATUS["declined"]


def remote_user_share(age: I64, savviness: I64) -> F64:
    """Each customer's chance of using a screen-sharing or remote-access tool now and then, by
    age and digital savviness (``REMOTE_USER_SHARE`` and its factors)."""
    senior = where(age >= 60, REMOTE_USER_SENIOR, 1.0)
    return np.asarray(REMOTE_USER_SHARE * REMOTE_USER_SAVVINESS[savviness] * senior, np.float64)


def in_sessions(cust: I64, ts: I64, flag: B) -> B:
    """``flag`` (a tool seen, per row) spread over app sessions: rows in customer and time
    order of one customer less than ``SESSION_GAP_S`` apart make a session, and every row of a
    session is flagged when any of its rows is (the tool runs for the whole session)."""
    if cust.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    new = np.r_[True, (cust[1:] != cust[:-1]) | (np.diff(ts) >= SESSION_GAP_S)]
    session = np.cumsum(new) - 1
    seen = np.bincount(session, weights=flag.astype(np.float64)) > 0
    return np.asarray(seen[session], dtype=bool)


Cols = Mapping[str, npt.NDArray[Any]]
"""Aligned columns of rows by ``Rows`` field name (``Rows.cols``, or a subset of its rows)."""


def _subset(cols: Cols, at: I64) -> Cols:
    """The columns the session reads, at positions ``at`` (each gathered when first read)."""
    return _Gathered(cols, at)


class _Gathered(Mapping[str, npt.NDArray[Any]]):
    """Columns of ``_READ`` at positions ``at``, each gathered on first read: the session's
    steps read different few of them (the row keys six, the initiations three)."""

    def __init__(self, cols: Cols, at: I64) -> None:
        self._cols = cols
        self._at = at
        self._done: dict[str, npt.NDArray[Any]] = {}

    def __getitem__(self, key: str) -> npt.NDArray[Any]:
        value = self._done.get(key)
        if value is None:
            value = self._done[key] = self._cols[key][self._at]
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(_READ)

    def __len__(self) -> int:
        return len(_READ)


_READ = (
    "cust", "ts", "amount", "merchant", "payee", "scenario", "mode", "channel", "category",
    "device", "fraud", "txn_type",
)  # fmt: skip


def app_session(rows: Cols) -> B:
    """Rows paid through the customer's own bank or UPI app on a device (UPI, or net banking in
    the app): the sessions whose device binding, SIM and remote-access signals the bank sees.
    A card or wallet payment reaches the bank through the merchant's acquirer instead."""
    upi = rows["mode"] == mkt.MODE["upi"]
    app = (rows["mode"] == mkt.MODE["net_banking"]) & (rows["channel"] == mkt.CHANNEL["mobile_app"])
    return np.asarray((rows["device"] >= 0) & (upi | app), dtype=bool)


def _in_period(ctx: ShardContext, rng: np.random.Generator, p: float) -> I64:
    """Per customer of the shard: with probability ``p`` a time in the period (uniform), else
    the period's end (never)."""
    n = ctx.customers.n
    at = ctx.t_start + (rng.random(n) * (ctx.t_end - ctx.t_start)).astype(np.int64)
    return np.asarray(where(rng.random(n) < p, at, ctx.t_end), dtype=np.int64)


def _by_code(registry: Registry, field: str) -> F64:
    """A record field of each pattern by label code (NaN for none and for ``None`` values)."""
    out = np.full(MAX_CODE + 1, np.nan)
    for p in registry.patterns:
        value = getattr(p, field)
        out[p.code] = np.nan if value is None else float(value)
    return out


def row_keys(seed: int, rows: Cols) -> npt.NDArray[np.uint64]:
    """A 63-bit key per row from the seed and what the row is (customer, time, amount, payee,
    incident): the source of the row's session draws, the same whatever other rows exist."""
    h = mix63(rows["cust"].astype(np.uint64) ^ np.uint64(seed & ((1 << 63) - 1)))
    h = mix63(h.astype(np.uint64) ^ rows["ts"].astype(np.uint64))
    h = mix63(h.astype(np.uint64) ^ rows["amount"].view(np.uint64))
    payee = (rows["merchant"] + 1).astype(np.uint64) << np.uint64(32)
    h = mix63(h.astype(np.uint64) ^ payee ^ (rows["payee"] + 1).astype(np.uint64))
    h = mix63(h.astype(np.uint64) ^ (rows["scenario"] + 1).astype(np.uint64))
    return np.asarray(h, dtype=np.uint64)


_INITIATION_SALT, _REMOTE_SALT, _LEAD_SALT, _PREPARED_SALT = 0x11, 0x22, 0x33, 0x44
_SWAP_SALT, _SWAP_LEAD_SALT = 0x55, 0x66


def initiations(rows: Cols, u: F64) -> I64:
    """A UPI initiation code per row by its context (``INITIATION_WEIGHTS``), from the row's
    uniform ``u`` (only UPI rows' codes are kept)."""
    channel, category = rows["channel"], rows["category"].astype(np.int64)
    p2p_over = int((P2P_COLLECT_END - dt.date(1970, 1, 1)).days) * DAY_S
    by_channel = where(
        channel == mkt.CHANNEL["pos"], SHOP, where(channel == mkt.CHANNEL["ecommerce"], WEB, APP)
    )
    context = _CATEGORY_CONTEXT[category]
    context = where(context < 0, by_channel, context)
    context[(context == P2P) & (rows["ts"] >= p2p_over)] = P2P_NO_COLLECT
    # One searchsorted over the contexts' cumulative shares, each offset by its context.
    k = INITIATION_WEIGHTS.shape[1]
    flat = (_INITIATION_CUM + np.arange(_INITIATION_CUM.shape[0])[:, None]).ravel()
    groups = _INITIATION_CUM.shape[0]
    pick = grouped_right(flat, groups, context, context + u * 0.999999) - context * k
    return np.asarray(pick.clip(0, k - 1), dtype=np.int64)


_CUSTOMER_SALT, _MERCHANT_SALT, _PREVIOUS_SALT = 0x7A3C_51E9, 0x1D4B_9F27, 0x5E2D_0C83
_BIND_SALT = 0x3B9A_C6F1


def handle_created(who: I64, merchant: B, t_end: int) -> tuple[I64, I64]:
    """When each payee's current UPI address was created and when the one before it was
    (epoch seconds): a function of the payee (a customer's global index, or a merchant's where
    ``merchant``) and of the period's end alone, so every row paying it agrees."""
    mean, salt_key, created = _current_handle(who, merchant, t_end)
    return created, _previous_handle(mean, salt_key, created)


def _current_handle(who: I64, merchant: B, t_end: int) -> tuple[F64, I64, I64]:
    """``handle_created``'s mean age and key of each payee, and when its current address was
    created."""
    mean = where(merchant, MERCHANT_HANDLE_MEAN_DAYS, CUSTOMER_HANDLE_MEAN_DAYS)
    salt_key = where(merchant, who ^ _MERCHANT_SALT, who ^ _CUSTOMER_SALT)
    age = -mean * np.log(keyed_uniform(salt_key, 0))
    return mean, salt_key, t_end - (age * DAY_S).astype(np.int64)


def _previous_handle(mean: F64, salt_key: I64, created: I64) -> I64:
    """When the address before the current one was created (``handle_created``)."""
    before = -mean * np.log(keyed_uniform(salt_key, _PREVIOUS_SALT))
    return created - ((PREVIOUS_KEPT_DAYS + before) * DAY_S).astype(np.int64)


def handle_age_days(who: I64, merchant: B, ts: I64, t_end: int) -> I64:
    """Days since the address a payee used at ``ts`` was created: the current one once it
    exists, the previous one before (a customer who moved to a new app and address; the
    previous address is worked out for those payments only)."""
    mean, salt_key, since = _current_handle(who, merchant, t_end)
    old = np.flatnonzero(ts < since)
    since[old] = _previous_handle(mean[old], salt_key[old], since[old])
    return np.asarray(np.maximum(ts - since, 0) // DAY_S, dtype=np.int64)


def payee_handle_age(ctx: ShardContext, rows: Cols) -> I64:
    """The payee's address age of each row (P2P: the receiving customer's; else the
    merchant's); -1 where there is no payee."""
    p2p = rows["payee"] >= 0
    who = where(p2p, rows["payee"], np.maximum(rows["merchant"], 0))
    age = handle_age_days(who, ~p2p, rows["ts"], ctx.t_end)
    return where(p2p | (rows["merchant"] >= 0), age, -1)


def young_payees(ctx: ShardContext, ts: I64, max_days: float, avoid: I64) -> I64:
    """For each time, a customer (global index, not ``avoid``) whose UPI address was created
    at most ``max_days`` before it: the fresh addresses mule herders open or rent. Drawn by
    rejection among all customers from ``ctx.rng``; where none is found, any customer."""
    return young_customers(ctx.rng, ctx.scenario.customers, ctx.t_end, ts, max_days, avoid)


YOUNG_MERCHANT_TRIES = 16
"""Online merchants of the wanted categories looked at for each fraudster-onboarded shop."""


def young_merchants(ctx: ShardContext, ts: I64, tries: I64) -> I64:
    """For each time, the online merchant whose UPI address was the youngest then among those
    drawn by popularity (from ``ctx.rng``) for the categories of its row of ``tries`` (one
    category code per merchant looked at, ``YOUNG_MERCHANT_TRIES`` a row as a rule): the small
    shops fraudsters onboard through an aggregator to take scam payments as merchant payments."""
    n, k = tries.shape
    shops, _ = pick_merchants(
        ctx.rng, ctx.merchants, tries.ravel(), np.zeros(n * k, dtype=np.int64),
        np.ones(n * k, dtype=bool),
    )  # fmt: skip
    shops = shops.reshape(n, k)
    at = np.repeat(ts, k)
    age = handle_age_days(shops.ravel(), np.ones(n * k, bool), at, ctx.t_end).reshape(n, k)
    return np.asarray(shops[np.arange(n), np.argmin(age, axis=1)], dtype=np.int64)


def young_customers(
    rng: np.random.Generator, n_customers: int, t_end: int, ts: I64, max_days: float, avoid: I64
) -> I64:
    """``young_payees`` from any stream (a shard's, or a pattern's schedule stream, which
    draws mules that serve several victims across shards): for each time, one of
    ``n_customers`` customers (not ``avoid``) whose address was at most ``max_days`` old then,
    in a period ending at ``t_end``."""
    n = ts.shape[0]
    out: I64 = np.asarray(rng.integers(0, max(n_customers, 1), n), dtype=np.int64)
    todo = np.arange(n)
    for _ in range(8):
        if todo.size == 0:
            break
        cand = rng.integers(0, max(n_customers, 1), (todo.size, 64))
        at = np.repeat(ts[todo], 64).reshape(todo.size, 64)
        age = handle_age_days(cand.ravel(), np.zeros(cand.size, bool), at.ravel(), t_end)
        ok = (age.reshape(todo.size, 64) <= max_days) & (cand != avoid[todo, None])
        hit = ok.any(axis=1)
        out[todo[hit]] = cand[hit, ok[hit].argmax(axis=1)]
        todo = todo[~hit]
    return np.asarray(out, dtype=np.int64)


def device_owner(ctx: ShardContext, rows: Cols) -> tuple[I64, I64]:
    """Whose device each row used and which of theirs: (global customer, slot) for the
    customer's own devices (slot ``MAX_DEVICES`` is a new phone) and the partner's shared phone
    (the partner's slot 0); (-1, -1) for any other device or none."""
    cu = ctx.customers
    c = rows["cust"] - cu.offset
    dev = rows["device"]
    own = cu.device_table
    # The first slot whose device it is (a column at a time, the last pass the first slot).
    slot = np.full(c.shape[0], -1, dtype=np.int64)
    for k in range(own.shape[1] - 1, -1, -1):
        slot[own[c, k] == dev] = k
    owner = where(slot >= 0, rows["cust"], -1)
    partner = cu.partner[c]
    shared = (slot < 0) & (partner >= 0) & (dev == own[np.maximum(partner, 0), 0])
    owner = where(shared, cu.offset + partner, owner)
    slot = where(shared, 0, slot)
    return np.asarray(owner, dtype=np.int64), np.asarray(slot, dtype=np.int64)


def binding_times(
    ctx: ShardContext,
    rows: Cols,
    whose: tuple[I64, I64],
    rebind_at: I64,
    prepared_by_code: F64,
) -> I64:
    """When each row's device was bound to the customer's app (epoch seconds), for rows of app
    sessions (in customer and time order). ``whose`` is each row's device owner and slot
    (``device_owner``); a device new to the account was bound before its first payment there,
    by the mean days its pattern's record gives (``prepared_by_code``), at least
    ``BIND_LEAD_S`` before."""
    owner, slot = whose
    cu = ctx.customers
    ts = rows["ts"]
    u = keyed_uniform(np.maximum(owner, 0) * (MAX_DEVICES + 1) + np.maximum(slot, 0), _BIND_SALT)
    base = ctx.t_start - (-BIND_MEAN_DAYS * np.log(u) * DAY_S).astype(np.int64)
    c = rows["cust"] - cu.offset
    rebind = rebind_at[c]
    at = where((slot == 0) & (owner == rows["cust"]) & (ts >= rebind), rebind, base)
    at = where(slot == MAX_DEVICES, np.minimum(cu.new_phone_at[c], ts), at)
    other = np.flatnonzero(slot < 0)
    if other.size:
        # Bound when it first pays for this customer: rows are in time order per customer.
        key = rows["cust"][other].astype(np.int64)
        dev = rows["device"][other]
        order = np.lexsort((ts[other], dev, key))
        k, d = key[order], dev[order]
        first = np.r_[True, (k[1:] != k[:-1]) | (d[1:] != d[:-1])]
        start = np.maximum.accumulate(where(first, np.arange(order.size), 0))
        pair = mix63(k[first].astype(np.uint64) ^ d[first].astype(np.uint64))
        pair = mix63(pair.astype(np.uint64) ^ np.uint64(ctx.scenario.seed & ((1 << 63) - 1)))
        lo, hi = BIND_LEAD_S
        lead = lo + (keyed_uniform(pair, _LEAD_SALT) * (hi - lo)).astype(np.int64)
        mean = np.nan_to_num(prepared_by_code[rows["fraud"][other[order]][first].astype(np.int64)])
        wait = -np.log(keyed_uniform(pair, _PREPARED_SALT)) * mean * DAY_S
        lead = lead + wait.astype(np.int64)
        group = np.cumsum(first) - 1
        at[other[order]] = ts[other[order]][start] - lead[group]
    return np.asarray(at, dtype=np.int64)


def _sim_swaps(
    seed: int, rows: Cols, slot: I64, share_by_code: F64, offset: int
) -> tuple[I64, I64]:
    """SIM swaps of patterns that make them: for each incident part run (in part) from a device
    new to the account, with its record's ``sim_swap`` share, a SIM change a day or more
    (``SIM_SWAP_LEAD_S``) before the part's first row from that device (among ``rows``, the
    shard's fraud rows in customer and time order). Returns (shard-local customer, time)."""
    code = rows["fraud"].astype(np.int64)
    at = np.flatnonzero((code > 0) & (slot < 0))
    share = np.nan_to_num(share_by_code[code[at]])
    at = at[share > 0]
    empty = np.zeros(0, dtype=np.int64)
    if at.size == 0:
        return empty, empty
    key = rows["scenario"][at] * 1_000_003 + rows["cust"][at]
    uniq, first = np.unique(key, return_index=True)
    rows_at = at[first]
    part = mix63(uniq.astype(np.uint64) ^ np.uint64(seed & ((1 << 63) - 1)))
    swap = keyed_uniform(part, _SWAP_SALT) < np.nan_to_num(share_by_code[code[rows_at]])
    lo, hi = SIM_SWAP_LEAD_S
    lead = lo + (keyed_uniform(part, _SWAP_LEAD_SALT) * (hi - lo)).astype(np.int64)
    rows_at, lead = rows_at[swap], lead[swap]
    return rows["cust"][rows_at] - offset, rows["ts"][rows_at] - lead


def latest_event(ev_c: I64, ev_t: I64, c: I64, t: I64) -> I64:
    """For each query (customer ``c`` at time ``t``), the time of that customer's latest event
    at or before ``t``; every customer has an event before any query."""
    order = np.lexsort((ev_t, ev_c))
    ec, et = ev_c[order].astype(np.int64), ev_t[order].astype(np.int64)
    pos = search_by_customer_time(ec, et, c, t, side="right") - 1
    return np.asarray(et[np.maximum(pos, 0)], dtype=np.int64)


def search_by_customer_time(
    ev_c: I64, ev_t: I64, c: I64, t: I64, side: Literal["left", "right"] = "left"
) -> I64:
    """Where each query (customer ``c`` at time ``t``) goes among events ordered by customer,
    then time (``np.searchsorted``'s ``side``, over one packed key of both)."""
    lo = min(int(ev_t.min()), int(t.min()))
    width = max(int(ev_t.max()), int(t.max())) - lo + 1
    key = ev_c.astype(np.int64) * width + (ev_t - lo)
    return np.asarray(
        np.searchsorted(key, c.astype(np.int64) * width + (t - lo), side=side), dtype=np.int64
    )
