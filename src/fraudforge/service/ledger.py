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
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec

from fraudforge.engine.atomic import staged_file
from fraudforge.service.schema import ScoreResult, Transaction

log = logging.getLogger("fraudforge.service")

LEDGER_FORMAT = 1
_ENCODE = msgspec.json.Encoder().encode
_TXN = msgspec.json.Decoder(Transaction)
_RESULT = msgspec.json.Decoder(ScoreResult)


class Scored:
    """One scored transaction: its canonical body (the decoded Transaction encoded again, so
    formatting, key order and an equivalent time zone do not matter), its result, when it was
    scored (``time.time()``), and the feedback reported on it (kind -> known_at)."""

    __slots__ = ("body", "labels", "result", "stamp")

    def __init__(
        self,
        body: bytes,
        result: ScoreResult,
        stamp: float,
        labels: dict[str, dt.datetime] | None = None,
    ) -> None:
        self.body = body
        self.result = result
        self.stamp = stamp
        self.labels = labels if labels is not None else {}

    def transaction(self) -> Transaction:
        """The transaction as it was scored."""
        return _TXN.decode(self.body)

    def label_time(self) -> dt.datetime | None:
        """When the transaction's fraud label counts from (the earliest report), if any."""
        return min(self.labels.values()) if self.labels else None


def fingerprint(txn: Transaction) -> bytes:
    """``txn``'s canonical body."""
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


class Ledger:
    """Scored transactions by id, oldest first, at most ``size`` of them and none older than
    ``ttl_s`` seconds (0: no age limit)."""

    def __init__(self, *, size: int, ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        if size < 1:
            raise ValueError(f"idempotency window size {size} is below 1")
        self.size = size
        self.ttl_s = ttl_s
        self._clock = clock
        self._entries: OrderedDict[int, Scored] = OrderedDict()
        self.expired = 0
        """Entries that left the window (by count or age) since start."""

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[tuple[int, Scored]]:
        return iter(self._entries.items())

    def _expire(self, now: float) -> None:
        entries = self._entries
        while len(entries) > self.size:
            entries.popitem(last=False)
            self.expired += 1
        if self.ttl_s > 0:
            oldest = now - self.ttl_s
            while entries and next(iter(entries.values())).stamp < oldest:
                entries.popitem(last=False)
                self.expired += 1

    def get(self, transaction_id: int) -> Scored | None:
        """The entry of ``transaction_id`` if it is in the window."""
        self._expire(self._clock())
        return self._entries.get(transaction_id)

    def add(self, transaction_id: int, body: bytes, result: ScoreResult) -> None:
        """Record a transaction just scored."""
        now = self._clock()
        self._entries[transaction_id] = Scored(body, result, now)
        self._expire(now)

    def copy_entries(self) -> list[tuple[int, Scored]]:
        """The entries as they are now: a list of the same entries (bodies and results never
        change), those holding feedback copied (their labels may change later)."""
        return [
            (i, Scored(s.body, s.result, s.stamp, dict(s.labels)) if s.labels else s)
            for i, s in self
        ]

    def restore(self, entries: list[tuple[int, Scored]]) -> None:
        """Put saved entries back (oldest first), then apply the bounds."""
        for i, s in entries:
            self._entries.setdefault(i, s)
        self._expire(self._clock())


def ledger_path(state: str | Path) -> Path:
    """Where the ledger of the snapshot ``state`` is kept."""
    p = Path(state)
    return p.with_name(p.name + ".ledger")


def write_ledger(entries: list[tuple[int, Scored]], state: str | Path) -> int:
    """Save ``entries`` beside the snapshot ``state`` (just written) atomically; returns the
    bytes written."""
    snapshot_bytes = Path(state).stat().st_size
    body = msgspec.msgpack.encode(
        _File(
            format=LEDGER_FORMAT,
            snapshot_bytes=snapshot_bytes,
            entries=[_Entry(i, s.body, _ENCODE(s.result), s.stamp, s.labels) for i, s in entries],
        )
    )
    target = ledger_path(state)
    with staged_file(target) as work:
        work.write_bytes(body)
    return len(body)


def read_ledger(state: str | Path) -> list[tuple[int, Scored]]:
    """The entries saved beside the snapshot ``state``; none (with a warning) when there is no
    ledger, it is unreadable, or it was saved with another snapshot than the one on disk."""
    path = ledger_path(state)
    if not path.is_file():
        return []
    try:
        saved = msgspec.msgpack.decode(path.read_bytes(), type=_File)
        if saved.format != LEDGER_FORMAT:
            raise ValueError(f"format {saved.format}, this reads {LEDGER_FORMAT}")
        if saved.snapshot_bytes != Path(state).stat().st_size:
            raise ValueError("it was saved with another snapshot")
        return [
            (e.transaction_id, Scored(e.body, _RESULT.decode(e.result), e.stamp, e.labels))
            for e in saved.entries
        ]
    except (OSError, ValueError, msgspec.DecodeError) as exc:
        log.warning("idempotency window %s not restored: %s", path, exc)
        return []


__all__ = [
    "LEDGER_FORMAT",
    "Ledger",
    "Scored",
    "differing",
    "fingerprint",
    "ledger_path",
    "read_ledger",
    "write_ledger",
]
