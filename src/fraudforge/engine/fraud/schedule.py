"""The fraud schedule: every incident's parties, start time and shared resources, drawn up front
from the seed so that shards agree on anything that spans them (a mule's senders, a collusive
merchant's customers, a loyalty ring's shared device).

An incident is one or more *parts*; a part is the rows one customer's account shows for it and is
materialised by the shard that holds that customer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from fraudforge.engine import catalog as cat
from fraudforge.engine.calendar import epoch_seconds
from fraudforge.engine.ids import KEY_FRAUDSTER_DEVICE, KEY_SCENARIO, opaque_ids
from fraudforge.engine.population import draw_merchants
from fraudforge.engine.rng import STREAM_SCHEDULE, stream
from fraudforge.engine.scenario import ResolvedScenario
from fraudforge.engine.taxonomy import FRAUD_LABELS, FRAUD_TYPES
from fraudforge.engine.volume import MEAN_ROWS, expected_fraud_rows, rows_per_customer

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

ROLE_MAIN = 0
ROLE_SENDER = 1
ROLE_CASHOUT = 2


@dataclass(frozen=True)
class Parts:
    """Aligned arrays, one entry per incident part, sorted by customer."""

    pattern: npt.NDArray[np.int8]
    """Fraud label code (1-based index into FRAUD_LABELS)."""
    scenario: I64
    """Opaque incident id, shared by an incident's parts."""
    cust: I64
    t0: I64
    merchant: I64
    peer: I64
    device: I64
    amount: F64
    role: npt.NDArray[np.int8]

    def __len__(self) -> int:
        return int(self.cust.shape[0])

    def take(self, idx: Any) -> Parts:
        """Parts at the given positions or mask."""
        return Parts(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    @staticmethod
    def concat(items: list[Parts]) -> Parts:
        """Concatenate part tables."""
        return Parts(
            **{f.name: np.concatenate([getattr(p, f.name) for p in items]) for f in fields(Parts)}
        )

    def of(self, pattern: str) -> Parts:
        """The parts of one pattern."""
        return self.take(self.pattern == FRAUD_LABELS.index(pattern))


def _parts(pattern: str, n: int, **cols: Any) -> Parts:
    base: dict[str, Any] = {
        "pattern": np.full(n, FRAUD_LABELS.index(pattern), dtype=np.int8),
        "scenario": np.zeros(n, dtype=np.int64),
        "cust": np.zeros(n, dtype=np.int64),
        "t0": np.zeros(n, dtype=np.int64),
        "merchant": np.full(n, -1, dtype=np.int64),
        "peer": np.full(n, -1, dtype=np.int64),
        "device": np.full(n, -1, dtype=np.int64),
        "amount": np.zeros(n, dtype=np.float64),
        "role": np.zeros(n, dtype=np.int8),
    }
    for k, v in cols.items():
        base[k] = np.asarray(v, dtype=base[k].dtype)
    return Parts(**base)


COLLUSION_PARTIES = (4, 8)
MULE_SENDERS = (4, 10)
LOYALTY_ACCOUNTS = (3, 6)


@dataclass(frozen=True)
class Schedule:
    """All parts of all incidents, and the customer slots that are synthetic identities."""

    parts: Parts
    synthetic: I64
    """Sorted global indices of customers that are synthetic identities (no genuine activity)."""

    def for_customers(self, lo: int, hi: int) -> Parts:
        """Parts whose customer is in [lo, hi)."""
        a, b = np.searchsorted(self.parts.cust, [lo, hi])
        return self.parts.take(slice(int(a), int(b)))


def incident_counts(s: ResolvedScenario, rng: np.random.Generator) -> dict[str, int]:
    """Incidents per pattern so each pattern's rows make its share of the fraud rows."""
    per_cust = rows_per_customer(s.start_date, s.days)
    total = expected_fraud_rows(s.customers, s.start_date, s.days, s.fraud_rate)
    # Synthetic identities take customer slots, removing those slots' ordinary rows.
    synth_rows = total * s.fraud_mix["synthetic_identity"]
    lost = synth_rows / MEAN_ROWS["synthetic_identity"] * per_cust
    total *= (s.customers * per_cust - lost) / max(s.customers * per_cust, 1.0)
    out = {}
    for name in FRAUD_TYPES:
        x = total * s.fraud_mix[name] / MEAN_ROWS[name]
        out[name] = int(np.floor(x) + (rng.random() < x - np.floor(x)))
    out["synthetic_identity"] = min(out["synthetic_identity"], s.customers // 4)
    return out


_CACHE: dict[bytes, Schedule] = {}
_CACHE_LOCK = threading.Lock()


def build_schedule(s: ResolvedScenario) -> Schedule:
    """The fraud schedule of a scenario (drawn once per process, then reused by every shard)."""
    key = msgspec.json.encode(s)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is None:
            if len(_CACHE) >= 4:
                _CACHE.pop(next(iter(_CACHE)))
            hit = _CACHE[key] = _draw_schedule(s)
        return hit


def _draw_schedule(s: ResolvedScenario) -> Schedule:
    """Draw the whole fraud schedule of a scenario from its seed."""
    rng = stream(s.seed, STREAM_SCHEDULE)
    counts = incident_counts(s, rng)
    t_start = epoch_seconds(s.start_date)
    span = s.days * 86_400
    # Leave room after t0 for multi-day incidents.
    t_lo = t_start + min(86_400, span // 10)
    t_hi = t_start + max(span - 4 * 86_400, span // 2)
    # Synthetic identities and bust-out customers are reserved: their accounts take part in no
    # other incident (a synthetic slot has no genuine life; a bust-out account goes dormant).
    n_synth, n_bust = counts["synthetic_identity"], counts["bust_out"]
    n_bust = min(n_bust, max(s.customers // 4 - n_synth, 0))
    counts["bust_out"] = n_bust
    reserved = rng.choice(s.customers, size=n_synth + n_bust, replace=False)
    synthetic = np.sort(reserved[:n_synth])
    bust_customers = reserved[n_synth:]
    reserved = np.sort(reserved)

    def customers(n: int) -> I64:
        c = rng.integers(0, s.customers, n)
        for _ in range(8):
            bad = np.isin(c, reserved)
            if not bad.any():
                break
            c[bad] = rng.integers(0, s.customers, int(bad.sum()))
        return np.asarray(c, dtype=np.int64)

    def times(n: int) -> I64:
        return np.asarray(rng.integers(t_lo, max(t_hi, t_lo + 1), n), dtype=np.int64)

    merchants = draw_merchants(s.seed, s.merchants)
    items: list[Parts] = []
    for name in FRAUD_TYPES:
        n = counts[name]
        if n == 0:
            continue
        if name == "merchant_collusion":
            items.append(_collusion(rng, n, customers, times, merchants))
        elif name == "money_mule":
            items.append(_mules(rng, n, customers, times, s.customers))
        elif name == "loyalty_abuse":
            items.append(_loyalty(rng, n, customers, times, merchants))
        elif name == "synthetic_identity":
            # Accounts opened in the first half of the period.
            t0 = rng.integers(t_start, t_start + max(span // 2, 1), n)
            dev = opaque_ids(KEY_FRAUDSTER_DEVICE, np.arange(n), 1, 8)
            cust = rng.permutation(synthetic)
            items.append(_parts(name, n, scenario=np.arange(n), cust=cust, t0=t0, device=dev))
        elif name == "bust_out":
            cust = bust_customers
            items.append(_parts(name, n, scenario=np.arange(n), cust=cust, t0=times(n)))
        else:
            items.append(_parts(name, n, scenario=np.arange(n), cust=customers(n), t0=times(n)))
    if not items:
        return Schedule(parts=_parts("card_cloning", 0), synthetic=synthetic)
    parts = Parts.concat(items)
    # Incident ids: opaque, unique per (pattern, incident).
    parts = _number_incidents(parts)
    order = np.lexsort((parts.t0, parts.cust))
    return Schedule(parts=parts.take(order), synthetic=synthetic)


def _number_incidents(p: Parts) -> Parts:
    """Give every incident an opaque id (an incident's parts arrive with one scenario key)."""
    ids = opaque_ids(KEY_SCENARIO, p.pattern.astype(np.int64), p.scenario, 40)
    return Parts(**{**{f.name: getattr(p, f.name) for f in fields(p)}, "scenario": ids})


def _group_sizes(rng: np.random.Generator, n: int, lo_hi: tuple[int, int]) -> I64:
    return np.asarray(rng.integers(lo_hi[0], lo_hi[1] + 1, n), dtype=np.int64)


def _collusion(
    rng: np.random.Generator, n: int, customers: Any, times: Any, merchants: Any
) -> Parts:
    """Several customers each run 1-2 large card payments through one small online seller."""
    ok = merchants.is_online & ~merchants.is_chain
    ok &= np.isin(
        merchants.category,
        [cat.CAT[c] for c in ("electronics", "jewellery", "apparel", "home_furnishing")],
    )
    pool = np.flatnonzero(ok)
    if pool.size == 0:
        pool = np.flatnonzero(merchants.is_online)
    size = _group_sizes(rng, n, COLLUSION_PARTIES)
    inc = np.repeat(np.arange(n), size)
    t0 = np.repeat(times(n), size) + rng.integers(0, 5 * 86_400, inc.size)
    m = np.repeat(rng.choice(pool, size=n), size)
    return _parts(
        "merchant_collusion", inc.size, scenario=inc, cust=customers(inc.size), t0=t0, merchant=m
    )


def _mules(rng: np.random.Generator, n: int, customers: Any, times: Any, n_customers: int) -> Parts:
    """Senders push P2P credits to a mule over up to three days; the mule then cashes out."""
    size = _group_sizes(rng, n, MULE_SENDERS)
    mule = customers(n)
    inc = np.repeat(np.arange(n), size)
    t_send = np.repeat(times(n), size) + rng.integers(0, 3 * 86_400, inc.size)
    amount = np.round(rng.uniform(5_000, 45_000, inc.size) / 500) * 500
    senders = customers(inc.size)
    clash = senders == mule[inc]
    senders[clash] = (senders[clash] + 1) % n_customers
    send = _parts(
        "money_mule",
        inc.size,
        scenario=inc,
        cust=senders,
        t0=t_send,
        peer=mule[inc],
        amount=amount,
        role=np.full(inc.size, ROLE_SENDER),
    )
    last = np.zeros(n, dtype=np.int64)
    np.maximum.at(last, inc, t_send)
    total = np.bincount(inc, weights=amount, minlength=n)
    cash = _parts(
        "money_mule",
        n,
        scenario=np.arange(n),
        cust=mule,
        t0=last + rng.integers(3_600, 12 * 3_600, n),
        peer=customers(n),
        amount=total,
        role=np.full(n, ROLE_CASHOUT),
    )
    return Parts.concat([send, cash])


def _loyalty(rng: np.random.Generator, n: int, customers: Any, times: Any, merchants: Any) -> Parts:
    """Accounts sharing one device farm cashback with small orders at one chain merchant."""
    cats = [
        cat.CAT[c]
        for c in ("fast_food", "restaurants", "ride_hailing", "marketplace", "digital_goods")
    ]
    online = merchants.is_online & np.isin(merchants.category, cats)
    pool = np.flatnonzero(online & merchants.is_chain)
    if pool.size == 0:  # a tiny merchant population may hold no such chain
        pool = np.flatnonzero(online)
    size = _group_sizes(rng, n, LOYALTY_ACCOUNTS)
    inc = np.repeat(np.arange(n), size)
    t0 = np.repeat(times(n), size) + rng.integers(0, 6 * 3_600, inc.size)
    dev = opaque_ids(KEY_FRAUDSTER_DEVICE, inc, 2, 8)
    m = np.repeat(rng.choice(pool, size=n), size)
    return _parts(
        "loyalty_abuse",
        inc.size,
        scenario=inc,
        cust=customers(inc.size),
        t0=t0,
        merchant=m,
        device=dev,
    )
