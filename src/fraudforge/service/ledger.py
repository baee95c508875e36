"""The idempotency window: the transactions this service scored recently, by
``transaction_id``, with the result each got and the feedback reported on it.

A transaction sent again (a client retry, a replayed request) is answered from here with its
original result and ``replayed: true``, without touching the online state; the same id with a
different body is a conflict. Feedback must name a transaction in the window, and counts once.

The window is bounded by count (``idempotency_window`` entries, the least recently scored
leave first) and by age (``idempotency_ttl_s`` seconds since scoring, wall clock). It is saved
next to the state snapshot (``<state>.ledger``) and restored with it, so a resend after a
restart is still recognised.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec

from fraudforge.foundation.atomic import staged_file
from fraudforge.foundation.errors import ConfigError, DataError
from fraudforge.wire import ScoreResult, Transaction

log = logging.getLogger("fraudforge.service")

LEDGER_FORMAT = 1
_DUE_MARGIN_S = 1.0
"""How long before the oldest entry's expiry every call checks it again (rounding of
``stamp + ttl_s`` against ``now - ttl_s``, and a wall clock set back)."""
_ENCODE = msgspec.json.Encoder().encode
_TXN = msgspec.json.Decoder(Transaction)
_RESULT = msgspec.json.Decoder(ScoreResult)


class Scored:
    """One scored transaction as the window holds it: its body (as received from
    ``/v1/score``, or its ``fingerprint`` for a transaction of a batch), its result as JSON and
    when it was scored (``time.time()``). Two bodies are the same transaction when their
    fingerprints are equal, so formatting, key order and an equivalent time zone do not
    matter. Held as bytes, so the window adds no objects for the garbage collector to
    traverse."""

    __slots__ = ("body", "payload", "stamp")

    def __init__(self, body: bytes, payload: bytes, stamp: float) -> None:
        self.body = body
        self.payload = payload
        self.stamp = stamp

    def transaction(self) -> Transaction:
        """The transaction as it was scored."""
        return _TXN.decode(self.body)

    def result(self) -> ScoreResult:
        """The result it got."""
        return _RESULT.decode(self.payload)


def fingerprint(txn: Transaction) -> bytes:
    """``txn``'s canonical body: the decoded transaction encoded again (the same for every
    body that decodes to it)."""
    return _ENCODE(txn)


def differing(a: Transaction, b: Transaction) -> list[str]:
    """The fields whose values differ between ``a`` and ``b``, in schema order."""
    return [
        name
        for name, x, y in zip(
            Transaction.__struct_fields__,
            msgspec.structs.astuple(a),
            msgspec.structs.astuple(b),
            strict=True,
        )
        if x != y
    ]


class _Entry(msgspec.Struct, array_like=True):
    transaction_id: int
    body: bytes
    result: bytes
    stamp: float
    labels: dict[str, dt.datetime]


class _File(msgspec.Struct):
    format: int
    snapshot_bytes: int
    """Size of the snapshot this ledger was saved with; a ledger that does not match is left
    unread."""
    entries: list[_Entry]


Saved = list[tuple[int, Scored, dict[str, dt.datetime]]]
"""Entries with their feedback (kind -> known_at), oldest first."""


class Ledger:
    """Scored transactions by id, oldest first, at most ``size`` of them and none older than
    ``ttl_s`` seconds (0: no age limit), with the feedback reported on each."""

    def __init__(self, *, size: int, ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        if size < 1:
            raise ConfigError(f"idempotency window size {size} is below 1")
        self.size = size
        self.ttl_s = ttl_s
        self._clock = clock
        self._entries: OrderedDict[int, tuple[bytes, bytes, float]] = OrderedDict()
        """id -> (body, payload, stamp): tuples of bytes and a float, which the collector
        stops tracking."""
        self._labels: dict[int, dict[str, dt.datetime]] = {}
        self._due = -math.inf
        """No entry can be out of age before this time (the oldest's stamp plus ``ttl_s``, less
        a second against rounding), so most calls skip looking at the oldest entry."""
        self.expired = 0
        """Entries that left the window (by count or age) since start."""

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[tuple[int, Scored]]:
        for i, (body, payload, stamp) in self._entries.items():
            yield i, Scored(body, payload, stamp)

    def _pop_oldest(self) -> None:
        i, _ = self._entries.popitem(last=False)
        self._labels.pop(i, None)
        self.expired += 1

    def _expire(self, now: float) -> None:
        entries = self._entries
        while len(entries) > self.size:
            self._pop_oldest()
        if self.ttl_s > 0 and now >= self._due:
            oldest = now - self.ttl_s
            while entries and next(iter(entries.values()))[2] < oldest:
                self._pop_oldest()
            # entries leave only from the front, and join at the back with later stamps, so
            # the front's expiry is the earliest until it leaves (restore only appends)
            first = next(iter(entries.values()))[2] if entries else -math.inf
            self._due = first + self.ttl_s - _DUE_MARGIN_S

    def get(self, transaction_id: int) -> Scored | None:
        """The entry of ``transaction_id`` if it is in the window."""
        self._expire(self._clock())
        found = self._entries.get(transaction_id)
        return None if found is None else Scored(*found)

    def add(self, transaction_id: int, body: bytes, payload: bytes) -> None:
        """Record a transaction just scored, with its result as JSON."""
        now = self._clock()
        self._entries[transaction_id] = (body, payload, now)
        self._expire(now)

    def labels(self, transaction_id: int) -> dict[str, dt.datetime]:
        """The feedback recorded on a transaction in the window (kind -> known_at), to read
        and add to."""
        return self._labels.setdefault(transaction_id, {})

    def copy_entries(self) -> Saved:
        """The entries and their feedback as they are now (cheap enough for the event loop:
        the bytes are shared)."""
        labels = self._labels
        return [
            (i, Scored(*e), dict(labels[i]) if i in labels else {})
            for i, e in self._entries.items()
        ]

    def restore(self, entries: Saved) -> None:
        """Put saved entries back (oldest first), then apply the bounds."""
        for i, s, labels in entries:
            if i not in self._entries:
                self._entries[i] = (s.body, s.payload, s.stamp)
                if labels:
                    self._labels[i] = dict(labels)
        self._expire(self._clock())


def ledger_path(state: str | Path) -> Path:
    """Where the ledger of the snapshot ``state`` is kept."""
    p = Path(state)
    return p.with_name(p.name + ".ledger")


def write_ledger(entries: Saved, state: str | Path) -> int:
    """Save ``entries`` beside the snapshot ``state`` (just written) atomically; returns the
    bytes written."""
    snapshot_bytes = Path(state).stat().st_size
    body = msgspec.msgpack.encode(
        _File(
            format=LEDGER_FORMAT,
            snapshot_bytes=snapshot_bytes,
            entries=[_Entry(i, s.body, s.payload, s.stamp, lab) for i, s, lab in entries],
        )
    )
    target = ledger_path(state)
    with staged_file(target) as work:
        work.write_bytes(body)
    return len(body)


def read_ledger(state: str | Path) -> Saved:
    """The entries saved beside the snapshot ``state``; none (with a warning) when there is no
    ledger, it is unreadable, or it was saved with another snapshot than the one on disk."""
    path = ledger_path(state)
    if not path.is_file():
        return []
    try:
        saved = msgspec.msgpack.decode(path.read_bytes(), type=_File)
        if saved.format != LEDGER_FORMAT:
            raise DataError(f"format {saved.format}, this reads {LEDGER_FORMAT}")
        if saved.snapshot_bytes != Path(state).stat().st_size:
            raise DataError("it was saved with another snapshot")
        for e in saved.entries:
            _RESULT.decode(e.result)  # a damaged entry refuses the file, not a later replay
        return [
            (e.transaction_id, Scored(e.body, e.result, e.stamp), e.labels) for e in saved.entries
        ]
    except (OSError, ValueError, msgspec.DecodeError) as exc:
        log.warning("idempotency window %s not restored: %s", path, exc)
        return []


__all__ = [
    "LEDGER_FORMAT",
    "Ledger",
    "Saved",
    "Scored",
    "differing",
    "fingerprint",
    "ledger_path",
    "read_ledger",
    "write_ledger",
]
